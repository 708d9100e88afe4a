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

  test('/metrics: request durations by route pattern, event handling and age, outbox age, readiness', async () => {
    const text = await (await fetch(`${worker.url}/metrics`)).text()
    const value = (series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1))
    assert.match(text, /^# TYPE ates_http_request_duration_seconds histogram$/m)
    // The route as declared, never the raw path: one series for every account, whatever its id.
    assert.equal(value('ates_http_request_duration_seconds_count{method="POST",route="/api/accounts",status="201",worker="auth"}'), 1)
    assert.equal(value('ates_http_request_duration_seconds_bucket{method="POST",route="/api/accounts",status="201",worker="auth",le="+Inf"}'), 1)
    assert.ok(value('ates_http_request_duration_seconds_sum{method="POST",route="/api/accounts",status="201",worker="auth"}') > 0)
    const consumer = 'consumer="auth-accounts-created",worker="auth"'
    assert.equal(value(`ates_event_handling_duration_seconds_count{${consumer}}`), 1)
    const handled = value(`ates_event_handling_duration_seconds_sum{${consumer}}`)
    assert.ok(handled > 0 && handled < 5, `handled in ${handled} s`)
    assert.equal(value(`ates_event_age_seconds_count{${consumer}}`), 1)
    const age = value(`ates_event_age_seconds_sum{${consumer}}`)
    assert.ok(age >= 0 && age < 30, `handled ${age} s after it happened`)
    assert.equal(value('ates_outbox_oldest_age_seconds{worker="auth"}'), 0)
    assert.equal(value('ates_ready{worker="auth"}'), 1)
    assert.equal(value('ates_consumer_lag{consumer="auth-accounts-created"}'), 0, 'a scrape brings the lag up to date')
    assert.ok(value('process_cpu_seconds_total') > 0)
  })

  test('the oldest event waiting in the outbox: its age from when it was written', async () => {
    await worker.relay.stop()
    try {
      worker.ctx.store.tx(() => worker.ctx.outbox.emit('accounts.created', { account_id: randomUUID(), name: 'waits', email: 'waits@ates.local', role: 'popug', active: true }))
      await new Promise((r) => setTimeout(r, 1100))
      const text = await (await fetch(`${worker.url}/metrics`)).text()
      const age = Number(/^ates_outbox_oldest_age_seconds\{worker="auth"\} (\S+)$/m.exec(text)?.[1])
      assert.ok(age >= 1 && age < 10, `the oldest row waited ${age} s`)
    } finally {
      worker.relay.start()
    }
    await waitFor(() => worker.ctx.outbox.pending() === 0, 'relayed once the relay runs again')
    const text = await (await fetch(`${worker.url}/metrics`)).text()
    assert.match(text, /^ates_outbox_oldest_age_seconds\{worker="auth"\} 0$/m)
  })
})

describe('a worker started behind its streams', () => {
  test('answers 503 catching_up, and /readyz says so, until it has read what the streams held; its first answer has all of it', async () => {
    const behind = 50
    for (let i = 0; i < behind; i++) {
      const id = randomUUID()
      const event = { event_id: randomUUID(), event_name: 'accounts.created', event_version: 1, event_time: new Date().toISOString(), producer: 'auth', data: { account_id: id, name: `behind-${String(i).padStart(2, '0')}`, email: `behind-${i}@ates.local`, role: 'popug', active: true } }
      await streams.js.publish('accounts.created.v1', JSON.stringify(event), { msgID: event.event_id })
    }
    // What ACCOUNTS holds for a new durable: these 50 and the accounts of the tests before.
    const held = (await streams.jsm.streams.info('ACCOUNTS')).state.messages
    // A worker slow to apply each event, one event a batch: its catching up lasts about half a second.
    const slow: WorkerDefinition<DB> = {
      ...definition,
      name: 'tasks',
      consumes: ({ store }) => [
        {
          'accounts.created': (event) => {
            const until = performance.now() + 10
            while (performance.now() < until) {}
            store.run(store.db.insertInto('seen').values({ account_id: event.data.account_id, name: event.data.name }))
          },
        },
      ],
    }
    const late = tempDir()
    const started = await runWorker(slow, { ATES_NATS_URL: nats.url, ATES_DATA_DIR: late.path, ATES_TASKS_PORT: '0' }, { log: silentLogger, consumer: { batchSize: 1 } })
    try {
      const first = await fetch(`${started.url}/api/seen`)
      assert.equal(first.status, 503)
      assert.equal(first.headers.get('retry-after'), '1')
      assert.equal(first.headers.get('ates-catching-up'), '1', 'a balancer may send it to another instance')
      const refusal = (await first.json()) as { error: { code: string; message: string; details: { catching_up: { events: Record<string, number> } } } }
      assert.equal(refusal.error.code, 'catching_up')
      assert.match(refusal.error.message, /bringing its database up to date from the streams \(\d+ events to go\)/)
      const left = refusal.error.details.catching_up.events['tasks-accounts-created']
      assert.ok(left !== undefined && left > 0 && left <= held, `${left} events to go of ${held}`)
      const ready = await fetch(`${started.url}/readyz`)
      assert.equal(ready.status, 503)
      assert.ok('catching_up' in ((await ready.json()) as object), '/readyz says why')
      // The first answer it gives knows every account the streams held when it started.
      const seen = await waitFor(async () => {
        const answer = await fetch(`${started.url}/api/seen`)
        return answer.status === 200 ? ((await answer.json()) as Array<{ name: string }>) : undefined
      }, 'an answer once caught up', 10_000)
      assert.equal(seen.filter((row) => row.name.startsWith('behind-')).length, behind)
      assert.equal((await fetch(`${started.url}/readyz`)).status, 200)
    } finally {
      await started.stop()
      late.remove()
    }
  })
})
