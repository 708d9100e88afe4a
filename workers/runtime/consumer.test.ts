import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import { sampleData } from '../../contracts/fixtures.ts'
import { type Handlers, EventConsumer } from './consumer.ts'
import { createLogger, silentLogger } from './log.ts'
import { Health } from './health.ts'
import { Metrics } from './metrics.ts'
import { DLQ_HEADERS } from './nats.ts'
import { openStore, type Store } from './store.ts'
import { tempDir, waitFor } from './testing/helpers.ts'
import { readStream, startTestBroker, type TestBroker } from './testing/streams.ts'

type DB = { effects: { event_id: string; account_id: string } }

const migrations = [{ name: '001_effects', up: 'CREATE TABLE effects (event_id TEXT, account_id TEXT)' }]

let broker: TestBroker
let js: JetStreamClient
let jsm: JetStreamManager
const dir = tempDir()

before(async () => {
  broker = await startTestBroker()
  ;({ js, jsm } = broker.streams)
})

after(async () => {
  await broker.stop()
  dir.remove()
})

beforeEach(async () => {
  for (const stream of ['ACCOUNTS', 'DLQ']) await jsm.streams.purge(stream)
})

function accountEvent(overrides: Record<string, unknown> = {}) {
  const eventId = randomUUID()
  const data = { ...(sampleData['accounts.created.v1'] as object), account_id: randomUUID(), ...overrides }
  return {
    eventId,
    payload: JSON.stringify({
      event_id: eventId,
      event_name: 'accounts.created',
      event_version: 1,
      event_time: new Date().toISOString(),
      producer: 'auth',
      data,
    }),
  }
}

function effectsOf(store: Store<DB>): number {
  return store.all(store.db.selectFrom('effects').selectAll()).length
}

function consumer(store: Store<DB>, handlers: Handlers, extra: { maxDeliver?: number } = {}) {
  return new EventConsumer({
    worker: 'tasks',
    durable: `test-${randomUUID().slice(0, 8)}`,
    stream: 'ACCOUNTS',
    filter: 'accounts.>',
    handlers,
    store: store as Store<unknown>,
    js,
    jsm,
    log: silentLogger,
    backoffMs: () => 50,
    maxDeliver: extra.maxDeliver ?? 10,
  })
}

function recordingHandlers(store: Store<DB>): Handlers {
  return {
    'accounts.created': (event) => {
      store.run(store.db.insertInto('effects').values({ event_id: event.event_id, account_id: event.data.account_id }))
    },
  }
}

describe('consumer loop against a real nats-server', () => {
  test('a duplicate and a redelivered message have no second effect', async () => {
    const store = openStore<DB>(join(dir.path, 'dup.sqlite'), migrations)
    const c = consumer(store, recordingHandlers(store))
    await c.start()
    const first = accountEvent()
    const second = accountEvent()
    await js.publish('accounts.created.v1', first.payload, { msgID: first.eventId })
    await js.publish('accounts.created.v1', second.payload, { msgID: second.eventId })
    // The same event_id published again under another message id: the stream keeps both.
    await js.publish('accounts.created.v1', first.payload, { msgID: `${first.eventId}-again` })
    await waitFor(async () => (await c.lag()) === 0 && effectsOf(store) >= 2, 'three messages handled')
    assert.equal(effectsOf(store), 2)

    // Lose every ack: recreate the durable so the server redelivers the whole stream.
    await c.stop()
    await jsm.consumers.delete('ACCOUNTS', c.name)
    const again = new EventConsumer({
      worker: 'tasks', durable: c.name, stream: 'ACCOUNTS', filter: 'accounts.>',
      handlers: recordingHandlers(store), store: store as Store<unknown>, js, jsm, log: silentLogger,
    })
    await again.start()
    await waitFor(async () => (await again.lag()) === 0, 'redelivery handled')
    assert.equal(effectsOf(store), 2, 'redelivery changed nothing')
    await again.stop()
    store.close()
  })

  test('an invalid message lands in the DLQ with its reason, and the others keep flowing', async () => {
    const store = openStore<DB>(join(dir.path, 'dlq.sqlite'), migrations)
    const c = consumer(store, recordingHandlers(store))
    await c.start()
    const bad = accountEvent({ role: 'emperor' })
    const good = accountEvent()
    await js.publish('accounts.created.v1', '{"not": "an envelope"', { msgID: randomUUID() })
    await js.publish('accounts.created.v1', bad.payload, { msgID: bad.eventId })
    await js.publish('accounts.created.v3', good.payload.replace('"event_version":1', '"event_version":3'), { msgID: randomUUID() })
    await js.publish('accounts.created.v1', good.payload, { msgID: good.eventId })
    await waitFor(async () => (await c.lag()) === 0 && effectsOf(store) === 1, 'good event handled')

    const letters = await waitFor(async () => {
      const all = await readStream(js, jsm, 'DLQ')
      return all.length === 3 ? all : undefined
    }, 'three dead letters')
    const reasons = letters.map((l) => l.headers?.get(DLQ_HEADERS.reason) ?? '')
    assert.match(reasons[0]!, /invalid JSON/)
    assert.match(reasons[1]!, /invalid accounts.created v1: role must be one of admin, manager, accountant, popug/)
    assert.match(reasons[2]!, /unknown version accounts.created v3/)
    assert.ok(letters.every((l) => l.subject === 'dlq.tasks'))
    assert.equal(letters[1]!.data, bad.payload, 'the dead letter keeps the original payload')
    assert.equal(letters[1]!.headers?.get(DLQ_HEADERS.subject), 'accounts.created.v1')
    assert.equal(letters[1]!.headers?.get(DLQ_HEADERS.eventId), bad.eventId, 'a dead letter that has an event id carries it')
    assert.equal(letters[2]!.headers?.get(DLQ_HEADERS.eventId), good.eventId)
    await c.stop()
    store.close()
  })

  test('a handler that throws is retried with backoff, then dead-lettered; its partial writes are undone', async () => {
    const store = openStore<DB>(join(dir.path, 'throw.sqlite'), migrations)
    const poison = accountEvent({ name: 'Poison' })
    const fine = accountEvent()
    let attempts = 0
    const c = consumer(
      store,
      {
        'accounts.created': (event) => {
          store.run(store.db.insertInto('effects').values({ event_id: event.event_id, account_id: event.data.account_id }))
          if (event.data.name === 'Poison') {
            attempts += 1
            throw new Error('the ledger is on fire')
          }
        },
      },
      { maxDeliver: 3 },
    )
    await c.start()
    await js.publish('accounts.created.v1', poison.payload, { msgID: poison.eventId })
    await js.publish('accounts.created.v1', fine.payload, { msgID: fine.eventId })
    const letters = await waitFor(async () => {
      const all = await readStream(js, jsm, 'DLQ')
      return all.length === 1 ? all : undefined
    }, 'the poison message dead-lettered')
    assert.equal(attempts, 3)
    assert.match(letters[0]!.headers?.get(DLQ_HEADERS.reason) ?? '', /handler failed: the ledger is on fire/)
    assert.equal(letters[0]!.headers?.get(DLQ_HEADERS.deliveries), '3')
    await waitFor(async () => (await c.lag()) === 0, 'consumer caught up')
    const effects = store.all(store.db.selectFrom('effects').selectAll())
    assert.deepEqual(effects.map((e) => e.event_id), [fine.eventId], 'only the fine event left an effect')
    await c.stop()
    store.close()
  })

  test('a handler waiting for a dependency is retried until the dependency arrives', async () => {
    const store = openStore<DB>(join(dir.path, 'wait.sqlite'), migrations)
    let dependencyArrived = false
    let waits = 0
    const c = consumer(store, {
      'accounts.created': (event) => {
        if (!dependencyArrived) {
          waits += 1
          return { retry: 'dependency not seen yet' }
        }
        store.run(store.db.insertInto('effects').values({ event_id: event.event_id, account_id: event.data.account_id }))
      },
    })
    await c.start()
    const e = accountEvent()
    await js.publish('accounts.created.v1', e.payload, { msgID: e.eventId })
    await waitFor(() => waits >= 2, 'two waits')
    dependencyArrived = true
    await waitFor(() => effectsOf(store) === 1, 'the event applied once its dependency arrived')
    assert.equal((await readStream(js, jsm, 'DLQ')).length, 0)
    await c.stop()
    store.close()
  })

  test('messages that arrive while the instance may not act are held, applied as soon as it may (not after the ack wait)', async () => {
    const store = openStore<DB>(join(dir.path, 'inactive.sqlite'), migrations)
    // The lease's renewal is late (the event loop was held up): the instance may not act for a while.
    let mayAct = false
    const c = new EventConsumer({
      worker: 'tasks', durable: `inactive-${randomUUID().slice(0, 8)}`, stream: 'ACCOUNTS', filter: 'accounts.>', store: store as Store<unknown>, js, jsm,
      log: silentLogger, handlers: recordingHandlers(store), active: () => mayAct,
    })
    await c.start()
    for (let i = 0; i < 5; i++) {
      const e = accountEvent()
      await js.publish('accounts.created.v1', e.payload, { msgID: e.eventId })
    }
    await waitFor(async () => (await jsm.consumers.info('ACCOUNTS', c.name)).num_ack_pending === 5, 'the five delivered')
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(effectsOf(store), 0, 'nothing applied while it may not act')
    mayAct = true
    // Well within the 30 s ack wait: the held messages go on at once.
    await waitFor(() => effectsOf(store) === 5, 'applied once it may act', 5_000)
    await waitFor(async () => (await c.lag()) === 0, 'acked', 5_000)
    const info = await jsm.consumers.info('ACCOUNTS', c.name)
    assert.equal(info.num_redelivered, 0, 'held, not redelivered')
    await c.stop()
    store.close()
  })

  test('counts down the backlog it started with, then stays caught up whatever arrives after', async () => {
    const store = openStore<DB>(join(dir.path, 'backlog.sqlite'), migrations)
    for (let i = 0; i < 7; i++) {
      const e = accountEvent()
      await js.publish('accounts.created.v1', e.payload, { msgID: e.eventId })
    }
    // Held back (the instance may not act yet) so the count can be read before anything is handled.
    let mayAct = false
    const c = new EventConsumer({
      worker: 'tasks', durable: `backlog-${randomUUID().slice(0, 8)}`, stream: 'ACCOUNTS', filter: 'accounts.>', store: store as Store<unknown>, js, jsm,
      log: silentLogger, handlers: recordingHandlers(store), active: () => mayAct, batchSize: 3,
    })
    await c.start()
    assert.equal(c.catchingUp, 7, 'the seven events the durable held when it started')
    await waitFor(async () => (await jsm.consumers.info('ACCOUNTS', c.name)).num_ack_pending === 7, 'the seven delivered')
    assert.equal(c.catchingUp, 7, 'delivered is not handled')
    mayAct = true
    await waitFor(() => c.catchingUp === 0, 'caught up', 5_000)
    assert.equal(effectsOf(store), 7)
    mayAct = false
    for (let i = 0; i < 4; i++) {
      const e = accountEvent()
      await js.publish('accounts.created.v1', e.payload, { msgID: e.eventId })
    }
    await waitFor(async () => (await jsm.consumers.info('ACCOUNTS', c.name)).num_ack_pending === 4, 'the four later ones delivered')
    assert.equal(c.catchingUp, 0, 'what arrives after the start is lag, not catching up')
    mayAct = true
    await waitFor(() => effectsOf(store) === 11, 'the later ones applied', 5_000)
    await c.stop()
    store.close()
  })

  test('a database that cannot take a batch holds it, without counting a delivery: nothing dead-lettered, applied once it works', async () => {
    const store = openStore<DB>(join(dir.path, 'stall.sqlite'), migrations)
    const log = createLogger({}, { level: 'error', write: () => {} })
    const health = new Health(log, new Metrics())
    let failing = 3
    const c = new EventConsumer({
      worker: 'tasks', durable: `stall-${randomUUID().slice(0, 8)}`, stream: 'ACCOUNTS', filter: 'accounts.>', store: store as Store<unknown>, js, jsm, log,
      health, maxDeliver: 2, ackWaitMs: 1000,
      handlers: {
        'accounts.created': (event) => {
          if (failing > 0) {
            failing -= 1
            throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
          }
          store.run(store.db.insertInto('effects').values({ event_id: event.event_id, account_id: event.data.account_id }))
        },
      },
    })
    await c.start()
    const e = accountEvent()
    await js.publish('accounts.created.v1', e.payload, { msgID: e.eventId })
    await waitFor(() => Object.keys(health.faults).length === 1, 'the fault reported')
    assert.match(health.faults[`consumer ${c.name}`]!, /SQLITE_BUSY/)
    await waitFor(() => effectsOf(store) === 1, 'applied once the database works', 20_000)
    assert.deepEqual(health.faults, {}, 'the fault is over')
    const info = await jsm.consumers.info('ACCOUNTS', c.name)
    assert.equal(info.num_redelivered, 0, 'held, not redelivered')
    assert.equal((await readStream(js, jsm, 'DLQ')).length, 0)
    await c.stop()
    store.close()
  })
})
