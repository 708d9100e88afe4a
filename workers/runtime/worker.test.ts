import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { Hono } from 'hono'
import Type from 'typebox'
import { silentLogger } from './log.ts'
import { jsonBody } from './http.ts'
import { tempDir, waitFor } from './testing/helpers.ts'
import { connectTestStreams, type TestStreams } from './testing/streams.ts'
import { startNats, type NatsFixture } from './testing/nats-server.ts'
import { type RunningWorker, runWorker, type WorkerDefinition } from './worker.ts'

// A worker of the real shape, small enough to test the shared lifecycle: it records
// accounts it hears of, and an HTTP route creates one through the outbox.
type DB = { seen: { account_id: string; name: string } }

const NewAccount = Type.Object({ name: Type.String({ minLength: 1, maxLength: 50 }) }, { additionalProperties: false })

const definition: WorkerDefinition<DB> = {
  name: 'auth',
  migrations: [{ name: '001_seen', up: 'CREATE TABLE seen (account_id TEXT PRIMARY KEY, name TEXT NOT NULL)' }],
  clock: { now: () => new Date(), newId: () => randomUUID() },
  consumes: ({ store }) => [
    {
      'accounts.created': (event) => {
        store.run(store.db.insertInto('seen').values({ account_id: event.data.account_id, name: event.data.name }))
      },
    },
  ],
  routes: ({ store, outbox, newId }) => {
    const app = new Hono()
    app.post('/api/accounts', async (c) => {
      const body = await jsonBody(c, NewAccount)
      const event = store.tx(() =>
        outbox.emit('accounts.created', {
          account_id: newId(),
          name: body.name,
          email: `${body.name}@ates.local`,
          role: 'popug',
          active: true,
        }),
      )
      return c.json(event.data, 201)
    })
    app.get('/api/seen', (c) => c.json(store.all(store.db.selectFrom('seen').selectAll().orderBy('name'))))
    return app
  },
}

let nats: NatsFixture
let worker: RunningWorker<DB>
let streams: TestStreams
const dir = tempDir()

before(async () => {
  nats = await startNats()
  streams = await connectTestStreams(nats.url)
  worker = await runWorker(definition, { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dir.path, ATES_AUTH_PORT: '0' }, { log: silentLogger })
})

after(async () => {
  await worker.stop()
  await streams.close()
  await nats.stop()
  dir.remove()
})

describe('worker lifecycle over real HTTP and a real nats-server', () => {
  test('/healthz answers, /readyz reports NATS, DB and consumer lag', async () => {
    assert.deepEqual(await (await fetch(`${worker.url}/healthz`)).json(), { status: 'ok' })
    const ready = await fetch(`${worker.url}/readyz`)
    assert.equal(ready.status, 200)
    const body = (await ready.json()) as { nats: boolean; database: boolean; consumer_lag: Record<string, number> }
    assert.equal(body.nats, true)
    assert.equal(body.database, true)
    // The runtime's own consumer of accounts.* (account_access: runtime/access.ts) comes with every worker.
    assert.deepEqual(Object.keys(body.consumer_lag), ['auth-access', 'auth-accounts-created'])
  })

  test('everything but the API carries the security headers; the API keeps its JSON lean', async () => {
    const page = await fetch(`${worker.url}/healthz`)
    const csp = page.headers.get('content-security-policy') ?? ''
    for (const directive of ["default-src 'none'", "script-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", `form-action 'self' http://localhost:`]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp}`)
    }
    assert.match(csp, /style-src 'sha256-[\w+/=]+'/)
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(page.headers.get('x-frame-options'), 'DENY')
    assert.equal(page.headers.get('referrer-policy'), 'strict-origin-when-cross-origin')
    assert.equal(page.headers.get('strict-transport-security'), null, 'plain http: no HSTS')
    const missing = await fetch(`${worker.url}/nowhere`)
    assert.equal(missing.status, 404)
    assert.ok(missing.headers.get('content-security-policy'), 'an error page too')
    assert.equal((await fetch(`${worker.url}/api/seen`)).headers.get('content-security-policy'), null)
  })

  test('a write goes through the outbox to the stream and back through the consumer', async () => {
    const created = await fetch(`${worker.url}/api/accounts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kesha' }),
    })
    assert.equal(created.status, 201)
    const seen = await waitFor(async () => {
      const rows = (await (await fetch(`${worker.url}/api/seen`)).json()) as Array<{ name: string }>
      return rows.length === 1 ? rows : undefined
    }, 'the account seen by the consumer')
    assert.equal(seen[0]!.name, 'kesha')
    // The row is committed before the message is acked: the ack reaches the server just after.
    await waitFor(async () => (await fetch(`${worker.url}/readyz?max_lag=0`)).ok, 'caught up once the ack is in')
    const stored = await streams.read('ACCOUNTS')
    assert.equal(stored.length, 1)
    assert.equal(stored[0]!.subject, 'accounts.created.v1')
  })

  test('bad input gets a JSON error and changes nothing', async () => {
    const post = (body: string) =>
      fetch(`${worker.url}/api/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const notJson = await post('{nope')
    assert.equal(notJson.status, 400)
    assert.equal(((await notJson.json()) as { error: { code: string } }).error.code, 'bad_request')
    const invalid = await post(JSON.stringify({ name: '' }))
    assert.equal(invalid.status, 422)
    assert.match(((await invalid.json()) as { error: { message: string } }).error.message, /^name must not be empty$/)
    const huge = await post(JSON.stringify({ name: 'x'.repeat(100_000) }))
    assert.equal(huge.status, 413)
    assert.equal(((await huge.json()) as { error: { code: string } }).error.code, 'payload_too_large')
    const missing = await fetch(`${worker.url}/api/nothing-here`)
    assert.equal(missing.status, 404)
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not_found')
    assert.equal(worker.ctx.outbox.pending(), 0)
    assert.equal((await streams.read('ACCOUNTS')).length, 1)
  })

  test('/metrics speaks Prometheus text', async () => {
    const text = await (await fetch(`${worker.url}/metrics`)).text()
    assert.match(text, /# TYPE ates_http_requests_total counter/)
    assert.match(text, /ates_consumer_events_total\{consumer="auth-accounts-created",outcome="applied"\} 1/)
    assert.match(text, /ates_outbox_published_total 1/)
    assert.match(text, /ates_process_resident_memory_bytes \d+/)
    assert.match(text, /ates_process_memory_bytes\{kind="heap_used"\} \d+/)
  })
})
