// The request files for editors (scripts/http/*.http) stay true to the APIs: every request is an
// operation of its worker's OpenAPI contract, its query and JSON body fit that operation's
// schemas, and every JSON API operation of a worker has a request in its file.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Compile } from 'typebox/compile'
import { ANALYTICS_API } from '../contracts/http/analytics.ts'
import { AUDIT_API } from '../contracts/http/audit.ts'
import { AUTH_API } from '../contracts/http/auth.ts'
import { BILLING_API } from '../contracts/http/billing.ts'
import { CLOSE_API } from '../contracts/http/close.ts'
import { isPage, type Operation, type WorkerApi } from '../contracts/http/openapi.ts'
import { TASKS_API } from '../contracts/http/tasks.ts'
import { describeErrors } from '../contracts/messages.ts'
import { loadConfig, WORKERS, type WorkerName } from '../workers/runtime/config.ts'

const dir = fileURLToPath(new URL('./http/', import.meta.url))
const APIS: Record<WorkerName, WorkerApi> = { auth: AUTH_API, tasks: TASKS_API, billing: BILLING_API, close: CLOSE_API, analytics: ANALYTICS_API, audit: AUDIT_API }
const defaults = loadConfig({})

type Request = { file: string; method: string; worker: WorkerName; path: string; query: URLSearchParams; body: string }

/** The requests of a file: what follows each ###, with its {{variables}} of hosts resolved to workers. */
function requestsOf(file: string): Request[] {
  const text = readFileSync(join(dir, file), 'utf8')
  const hosts = new Map([...text.matchAll(/^@(\w+) = (\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
  for (const [name, url] of hosts) {
    const worker = WORKERS.find((w) => defaults.publicUrls[w] === url)
    assert.equal(worker, name, `${file}: @${name} is ${name}'s default URL`)
  }
  return text
    .split(/^###.*$/m)
    .slice(1)
    .map((chunk) => {
      const lines = chunk.split('\n').filter((l) => !l.startsWith('#'))
      const line = lines.findIndex((l) => /^[A-Z]+ /.test(l))
      const [, method, host, target] = /^([A-Z]+) \{\{(\w+)\}\}(\S*)$/.exec(lines[line]!) ?? []
      assert.ok(method && host && target !== undefined, `${file}: a request line names its worker: ${lines[line]}`)
      const [path, query = ''] = target.split('?') as [string, string?]
      const blank = lines.indexOf('', line)
      return { file, method, worker: host as WorkerName, path, query: new URLSearchParams(query), body: lines.slice(blank + 1).join('\n').trim() }
    })
}

/** The operation a request is: /api/tasks/{{mine…}}/complete is /api/tasks/:id/complete. */
function operationOf(request: Request): Operation | undefined {
  const given = request.path.split('/')
  return APIS[request.worker].operations.find((op) => {
    const pattern = op.path.split('/')
    return op.method === request.method.toLowerCase() && pattern.length === given.length && pattern.every((part, i) => part.startsWith(':') || part === given[i])
  })
}

const files = readdirSync(dir).filter((f) => f.endsWith('.http'))

test('there is a request file for every worker', () => {
  assert.deepEqual(files.toSorted(), WORKERS.map((w) => `${w}.http`).toSorted())
})

for (const file of files) {
  test(`${file}: every request is an operation of the contract, with a query and a body that fit`, () => {
    const requests = requestsOf(file)
    const worker = file.replace('.http', '') as WorkerName
    for (const request of requests) {
      const op = operationOf(request)
      assert.ok(op, `${file}: ${request.method} ${request.path} is an operation of ${request.worker}`)
      const query = Object.fromEntries([...request.query].filter(([, v]) => !v.includes('{{')))
      if (op.query) {
        const validator = Compile(op.query)
        assert.ok(validator.Check(query), `${file}: ${request.method} ${request.path}: ${describeErrors(validator.Errors(query), op.query, 'query')}`)
      } else {
        assert.deepEqual(query, {}, `${file}: ${op.id} takes no query`)
      }
      if (op.body) {
        const body: unknown = JSON.parse(request.body)
        const validator = Compile(op.body)
        assert.ok(validator.Check(body), `${file}: ${op.id}: ${describeErrors(validator.Errors(body), op.body)}`)
      } else {
        assert.equal(request.body, '', `${file}: ${op.id} takes no body`)
      }
    }
    const asked = new Set(requests.filter((r) => r.worker === worker).map((r) => operationOf(r)!.id))
    const api = APIS[worker].operations.filter((op) => op.path.startsWith('/api/') && !isPage(op))
    assert.deepEqual(api.filter((op) => !asked.has(op.id)).map((op) => op.id), [], `${file} has a request for every JSON API operation of ${worker}`)
  })
}
