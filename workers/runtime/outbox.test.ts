import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, beforeEach, describe, test } from 'node:test'
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { Health } from './health.ts'
import { createLogger, silentLogger } from './log.ts'
import { Metrics } from './metrics.ts'
import { ensureStreams } from './nats.ts'
import { Outbox, OutboxRelay } from './outbox.ts'
import { openStore, type Store } from './store.ts'
import { tempDir, waitFor } from './testing/helpers.ts'
import { readStream, startTestBroker, type TestBroker } from './testing/streams.ts'

let broker: TestBroker
let nc: NatsConnection
let js: JetStreamClient
let jsm: JetStreamManager
const dir = tempDir()

before(async () => {
  broker = await startTestBroker()
  ;({ nc, js, jsm } = broker.streams)
})

after(async () => {
  await broker.stop()
  dir.remove()
})

beforeEach(async () => {
  await jsm.streams.purge('ACCOUNTS')
})

let counter = 0
function account(n: number) {
  return { account_id: crypto.randomUUID(), name: `popug ${n}`, email: `p${n}@ates.local`, role: 'popug' as const, active: true }
}

describe('transactional outbox', () => {
  test('an event is written only if its transaction commits', () => {
    const store = openStore<unknown>(join(dir.path, 'rollback.sqlite'), [])
    const outbox = new Outbox(store, 'auth', () => new Date(), () => crypto.randomUUID())
    assert.throws(() =>
      store.tx(() => {
        outbox.emit('accounts.created', account(counter++))
        throw new Error('the change failed')
      }),
    )
    assert.equal(outbox.pending(), 0)
    store.tx(() => outbox.emit('accounts.created', account(counter++)))
    assert.equal(outbox.pending(), 1)
    store.close()
  })

  test('committed events survive a crash before publish and are relayed in order after restart', async () => {
    const file = join(dir.path, 'crash-before-publish.sqlite')
    const first = openStore<unknown>(file, [])
    const outbox = new Outbox(first, 'auth', () => new Date(), () => crypto.randomUUID())
    const ids: string[] = []
    for (let i = 0; i < 20; i += 1) first.tx(() => ids.push(outbox.emit('accounts.created', account(i)).event_id))
    first.close() // the process dies here: committed, never published

    const reopened = openStore<unknown>(file, [])
    const relay = new OutboxRelay({ store: reopened, nc, log: silentLogger })
    relay.start()
    await relay.flushed()
    await relay.stop()
    const stored = await readStream(js, jsm, 'ACCOUNTS')
    assert.deepEqual(stored.map((m) => JSON.parse(m.data).event_id), ids)
    assert.ok(stored.every((m) => m.headers?.get('Nats-Msg-Id') === JSON.parse(m.data).event_id))
    assert.equal(new Outbox(reopened, 'auth', () => new Date(), () => '').pending(), 0)
    reopened.close()
  })

  test('a publish refused mid-window stops the window there: the events after it wait, and land after it', async () => {
    const store = openStore<unknown>(join(dir.path, 'mid-window.sqlite'), [])
    const outbox = new Outbox(store, 'auth', () => new Date(), () => crypto.randomUUID())
    const lines: string[] = []
    const log = createLogger({}, { level: 'warn', write: (line) => lines.push(line) })
    const relay = new OutboxRelay({ store, nc, log, publishTimeoutMs: 600_000, pollMs: 20 })
    const limited = (await jsm.streams.info('ACCOUNTS')).config
    await jsm.streams.update('ACCOUNTS', { ...limited, max_msg_size: 4096 })
    try {
      const ids: string[] = []
      for (let i = 0; i < 2; i += 1) store.tx(() => ids.push(outbox.emit('accounts.created', account(i)).event_id))
      // One event the stream refuses for now (too large), then more behind it.
      const large = crypto.randomUUID()
      store.prepare('INSERT INTO outbox (event_id, subject, payload) VALUES (?, ?, ?)').run(large, 'accounts.created.v1', JSON.stringify({ event_id: large, pad: 'x'.repeat(8000) }))
      ids.push(large)
      for (let i = 2; i < 5; i += 1) store.tx(() => ids.push(outbox.emit('accounts.created', account(i)).event_id))
      relay.start()
      await waitFor(() => lines.some((l) => /maximum|size/i.test(l)), 'the relay to see the large one refused')
      const held = await readStream(js, jsm, 'ACCOUNTS')
      assert.deepEqual(held.map((m) => m.headers?.get('Nats-Msg-Id')), ids.slice(0, 2), 'nothing after the refused one is stored ahead of it')
      assert.equal(outbox.pending(), 4)
      await jsm.streams.update('ACCOUNTS', { ...limited, max_msg_size: -1 })
      await waitFor(() => outbox.pending() === 0, 'the rest relayed once the stream takes it', 30_000)
      const stored = await readStream(js, jsm, 'ACCOUNTS')
      assert.deepEqual(stored.map((m) => m.headers?.get('Nats-Msg-Id')), ids, 'in the order they were written')
    } finally {
      await relay.stop()
      await jsm.streams.update('ACCOUNTS', { ...limited, max_msg_size: -1 })
      store.close()
    }
  })

  test('while no stream takes the subject, events wait in the outbox; once one does, they are relayed in order', async () => {
    const store = openStore<unknown>(join(dir.path, 'no-stream.sqlite'), [])
    const outbox = new Outbox(store, 'auth', () => new Date(), () => crypto.randomUUID())
    const lines: string[] = []
    // A PubAck timeout far beyond the test: only the server's answer can end a window.
    const log = createLogger({}, { level: 'warn', write: (line) => lines.push(line) })
    const relay = new OutboxRelay({ store, nc, log, publishTimeoutMs: 600_000, pollMs: 20 })
    await jsm.streams.delete('ACCOUNTS')
    try {
      const ids: string[] = []
      for (let i = 0; i < 30; i += 1) store.tx(() => ids.push(outbox.emit('accounts.created', account(i)).event_id))
      relay.start()
      // The server answers each publish with "no responders": the relay keeps them and backs off.
      await waitFor(() => lines.some((l) => l.includes('no responders')), 'the relay to see no stream take the subject')
      assert.equal(outbox.pending(), 30)
      await ensureStreams(jsm, 1, ['ACCOUNTS'])
      await waitFor(() => outbox.pending() === 0, 'the outbox relayed once the stream exists', 30_000)
      const stored = await readStream(js, jsm, 'ACCOUNTS')
      assert.deepEqual(stored.map((m) => JSON.parse(m.data).event_id), ids)
    } finally {
      await relay.stop()
      await ensureStreams(jsm, 1, ['ACCOUNTS'])
      store.close()
    }
  })

  test('a relay stopped while it failed, and started again, clears its fault at its first success', async () => {
    const store = openStore<unknown>(join(dir.path, 'stale-fault.sqlite'), [])
    const outbox = new Outbox(store, 'auth', () => new Date(), () => crypto.randomUUID())
    const health = new Health(silentLogger, new Metrics())
    const relay = new OutboxRelay({ store, nc, log: silentLogger, health, publishTimeoutMs: 600_000, pollMs: 20 })
    await jsm.streams.delete('ACCOUNTS')
    try {
      store.tx(() => outbox.emit('accounts.created', account(counter++)))
      relay.start()
      await waitFor(() => health.faults['outbox relay'] !== undefined, 'the relay to report its fault', 20_000)
      // Stopped while failing, as when its instance loses the lease; the stream comes back meanwhile.
      await relay.stop()
      await ensureStreams(jsm, 1, ['ACCOUNTS'])
      relay.start()
      await waitFor(() => outbox.pending() === 0, 'the outbox relayed', 20_000)
      await waitFor(() => health.faults['outbox relay'] === undefined, 'the fault cleared', 5_000)
    } finally {
      await relay.stop()
      await ensureStreams(jsm, 1, ['ACCOUNTS'])
      store.close()
    }
  })

  describe('fenced in its own stream', () => {
    const last = async () => (await jsm.streams.info('ACCOUNTS')).state.last_seq
    const eventIds = async () => (await readStream(js, jsm, 'ACCOUNTS')).map((m) => JSON.parse(m.data).event_id as string)
    /** An auth relay with its own database, telling what overtook it into `told`. */
    const fencedRelay = (name: string) => {
      const store = openStore<unknown>(join(dir.path, `${name}.sqlite`), [])
      const outbox = new Outbox(store, 'auth', () => new Date(), () => crypto.randomUUID())
      const told: string[] = []
      const relay = new OutboxRelay({ store, nc, jsm, worker: 'auth', log: silentLogger, pollMs: 20, onOvertaken: (reason) => told.push(reason) })
      return { store, outbox, told, relay }
    }

    test("another producer's message and a copy republished after the fence are passed over: the relay publishes after them, its fence moved on", async () => {
      const { store, outbox, told, relay } = fencedRelay('fence-foreign')
      try {
        await broker.streams.publish('accounts.created', account(counter++))
        relay.fenceAt({ stream: 'ACCOUNTS', seq: await last() })
        const foreign = await broker.streams.publish('accounts.created', account(counter++), { producer: 'tasks' })
        // A copy of the first event under a new message id, as `make dlq-redrive` republishes one.
        const [original] = await readStream(js, jsm, 'ACCOUNTS')
        await js.publish(original!.subject, original!.data, { msgID: `redrive-${JSON.parse(original!.data).event_id}` })
        const copy = JSON.parse(original!.data).event_id as string
        const ids: string[] = []
        for (let i = 0; i < 3; i += 1) store.tx(() => ids.push(outbox.emit('accounts.created', account(counter++)).event_id))
        relay.start()
        await waitFor(() => outbox.pending() === 0, 'the outbox relayed')
        assert.deepEqual((await eventIds()).slice(1), [foreign, copy, ...ids])
        // The next window expects the relay's own last message: no look behind, nothing told.
        store.tx(() => ids.push(outbox.emit('accounts.created', account(counter++)).event_id))
        await waitFor(() => outbox.pending() === 0, 'the next one relayed')
        assert.deepEqual((await eventIds()).slice(-1), ids.slice(-1))
        assert.deepEqual(told, [])
      } finally {
        await relay.stop()
        store.close()
      }
    })

    test('its own event stored without its PubAck reaching it is its own: relayed once, not an overtaking', async () => {
      const { store, outbox, told, relay } = fencedRelay('fence-own')
      try {
        relay.fenceAt({ stream: 'ACCOUNTS', seq: await last() })
        const ids: string[] = []
        for (let i = 0; i < 2; i += 1) store.tx(() => ids.push(outbox.emit('accounts.created', account(counter++)).event_id))
        // The first one reached the stream, as a publish whose PubAck was lost does.
        const row = store.prepare('SELECT event_id, subject, payload FROM outbox ORDER BY seq LIMIT 1').get() as { event_id: string; subject: string; payload: string }
        await js.publish(row.subject, row.payload, { msgID: row.event_id })
        relay.start()
        await waitFor(() => outbox.pending() === 0, 'the outbox relayed')
        assert.deepEqual(await eventIds(), ids, 'each once, in order')
        assert.deepEqual(told, [])
      } finally {
        await relay.stop()
        store.close()
      }
    })

    test("another instance's decision after the fence stops the relay: nothing more of its own is published, and it says why", async () => {
      const { store, outbox, told, relay } = fencedRelay('fence-overtaken')
      try {
        relay.fenceAt({ stream: 'ACCOUNTS', seq: await last() })
        // Another auth instance (a paused one whose publish arrived late) stores a decision.
        const theirs = await broker.streams.publish('accounts.created', account(counter++), { producer: 'auth' })
        const at = await last()
        for (let i = 0; i < 2; i += 1) store.tx(() => outbox.emit('accounts.created', account(counter++)))
        relay.start()
        await waitFor(() => told.length > 0, 'the relay to say it was overtaken')
        assert.match(told[0]!, new RegExp(`message ${at} of ACCOUNTS .*event ${theirs}.* another instance of auth`))
        assert.deepEqual(await eventIds(), [theirs], 'none of its own after the other instance’s')
        assert.equal(outbox.pending(), 2, 'its decisions stay in the outbox')
      } finally {
        await relay.stop()
        store.close()
      }
    })
  })

  test('SIGKILL at random points: every committed event reaches the stream exactly once, in order', async (t) => {
    const total = 3000
    const file = join(dir.path, 'sigkill.sqlite')
    const child = fileURLToPath(new URL('./testing/outbox-crash-child.ts', import.meta.url))
    const progressAtKill: number[] = []
    for (let run = 0; run < 40; run += 1) {
      // Killed a few milliseconds after it is ready: mid-commit, mid-publish or mid-delete.
      const killAfter = run < 8 ? Math.floor(Math.random() * 40) : undefined
      const finished = await new Promise<boolean>((resolve) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, broker.nats.url, file, String(total)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        })
        let out = ''
        let timer: NodeJS.Timeout | undefined
        proc.stdout.on('data', (chunk) => {
          out += chunk
          if (killAfter !== undefined && !timer && out.includes('ready')) {
            timer = setTimeout(() => proc.kill('SIGKILL'), killAfter)
          }
        })
        proc.on('exit', async (_code, signal) => {
          clearTimeout(timer)
          if (signal === 'SIGKILL') progressAtKill.push((await jsm.streams.info('ACCOUNTS')).state.messages)
          resolve(out.includes('done'))
        })
      })
      if (finished) break
    }
    assert.ok(
      progressAtKill.some((n) => n > 0 && n < total),
      `killed while publishing (stream size at each kill: ${progressAtKill.join(', ')})`,
    )
    const stored = await waitFor(async () => {
      const all = await readStream(js, jsm, 'ACCOUNTS')
      return all.length >= total ? all : undefined
    }, 'all events in the stream')
    t.diagnostic(`stream size at each kill: ${progressAtKill.join(', ')}`)
    const ids = stored.map((m) => JSON.parse(m.data).event_id as string)
    assert.equal(ids.length, total, `no duplicates after ${progressAtKill.length} kills`)
    assert.deepEqual(ids, [...ids].sort(), 'stream order is commit order')
  })
})
