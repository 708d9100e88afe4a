// A billing standby stopped while it becomes active (the operator stops it just as it takes
// over): its activation fails on the closed connection and database, and nothing starts again
// afterwards — no round of following, nothing left running (runtime/follow.ts, close()).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import { createLogger, silentLogger } from '../runtime/log.ts'
import { sleep, tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'

const dirs = { a: tempDir(), b: tempDir() }
let nats: NatsFixture
let streams: TestStreams
let issuer: TestIssuer

before(async () => {
  nats = await startNats()
  streams = await connectTestStreams(nats.url)
  issuer = await startTestIssuer()
})

after(async () => {
  await issuer.stop()
  await streams.close()
  await nats.stop()
  dirs.a.remove()
  dirs.b.remove()
})

test('a standby stopped while it becomes active stops for good', async () => {
  const lines: string[] = []
  // b's activation waits here, so that it is stopped in the middle of becoming active.
  let letActivate = () => {}
  const activating = new Promise<void>((resolve) => (letActivate = resolve))
  let held = false
  const start = (instance: 'a' | 'b') => {
    const billing = definition()
    const prepare = billing.beforeConsuming!
    return runWorker(
      instance === 'a' ? billing : { ...billing, beforeConsuming: async (ctx) => ((held = true), await activating, await prepare(ctx)) },
      { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dirs[instance].path, ATES_BILLING_PORT: '0', ATES_AUTH_URL: issuer.url, ATES_INSTANCE: instance, ATES_LEASE_TTL: '3s' },
      { log: instance === 'b' ? createLogger({ worker: 'billing' }, { write: (line) => void lines.push(line) }) : silentLogger },
    )
  }
  const a = await start('a')
  await waitFor(() => a.isActive(), 'a active', 10_000)
  await streams.publish('tasks.created', { task_id: randomUUID(), title: 'Task', jira_id: null, description: 'd', assignee_id: randomUUID(), created_at: new Date().toISOString() })
  const b = await start('b')
  await waitFor(() => lines.some((line) => line.includes('worker started as a standby')), 'b a standby', 10_000)
  await a.stop()
  await waitFor(() => held, 'b becoming active', 10_000)
  await b.stop()
  const stoppedAt = lines.length
  letActivate()
  await sleep(2500)
  const afterwards = lines.slice(stoppedAt)
  assert.ok(afterwards.some((line) => line.includes('could not become active')), 'its activation failed on what stop() closed')
  assert.deepEqual(afterwards.filter((line) => !line.includes('could not become active')), [], 'and nothing started again')
})
