// Every route a worker serves is in its OpenAPI document, and every operation of the document
// is a route it serves: the workers' whole HTTP edges, built as they run (without a broker).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openApiDocument, openApiPath, type WorkerApi } from '../contracts/http/openapi.ts'
import { definition as analytics } from './analytics/main.ts'
import { definition as audit } from './audit/main.ts'
import { definition as auth } from './auth/main.ts'
import { definition as billing } from './billing/main.ts'
import { definition as close } from './close/main.ts'
import type { WorkerName } from './runtime/config.ts'
import { testContext } from './runtime/testing/context.ts'
import { tempDir } from './runtime/testing/helpers.ts'
import { definition as tasks } from './tasks/main.ts'
import { httpApp, type WorkerDefinition } from './runtime/worker.ts'

const readiness = { nats: () => true, database: () => true, lags: async () => ({}) }

/** The routes a worker's whole edge serves, built as runWorker builds it, around a context without a broker. */
async function routesOf<DB>(worker: WorkerDefinition<DB>): Promise<Set<string>> {
  const data = tempDir()
  const ctx = testContext(worker.name, worker.migrations, { env: { ATES_DATA_DIR: data.path, ATES_ADMIN_BEAK: 'routes-test-beak' } })
  const extra = await worker.start?.(ctx)
  try {
    const app = httpApp(worker, ctx, readiness)
    return new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))
  } finally {
    await extra?.stop()
    ctx.store.close()
    data.remove()
  }
}

const workers: Record<WorkerName, () => Promise<{ served: Set<string>; api: WorkerApi | undefined }>> = {
  auth: async () => ({ served: await routesOf(auth()), api: auth().api }),
  tasks: async () => ({ served: await routesOf(tasks()), api: tasks().api }),
  billing: async () => ({ served: await routesOf(billing()), api: billing().api }),
  close: async () => ({ served: await routesOf(close()), api: close().api }),
  analytics: async () => ({ served: await routesOf(analytics()), api: analytics().api }),
  audit: async () => ({ served: await routesOf(audit()), api: audit().api }),
}

for (const [name, edge] of Object.entries(workers)) {
  test(`${name}: the routes it serves are the operations of its OpenAPI document`, async () => {
    const { served, api } = await edge()
    assert.ok(api, `${name} describes its API`)
    const documented = new Set(api.operations.map((op) => `${op.method.toUpperCase()} ${op.path}`))
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'routes the document lacks')
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'operations no route serves')
    // The document names each path parameter its route has, and no other.
    const doc = openApiDocument(api)
    for (const op of api.operations) {
      const inPath = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1])
      assert.deepEqual(Object.keys(op.params?.properties ?? {}), inPath, `${op.id}: path parameters`)
      assert.ok(doc.paths[openApiPath(op.path)]?.[op.method], `${op.id} is in the document`)
    }
    assert.equal(new Set(api.operations.map((op) => op.id)).size, api.operations.length, 'operation ids are unique')
  })
}
