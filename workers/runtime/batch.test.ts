// A batch applied to SQLite alone, without a broker: the inbox, the savepoints, each outcome.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { decodeEvent, makeEnvelope } from '../../contracts/envelope.ts'
import { ALREADY_APPLIED, applyBatch, type Delivery, type Handlers, idempotent } from './batch.ts'
import { isInfrastructureError } from './health.ts'
import { openStore, type Store } from './store.ts'

type DB = { effects: { event_id: string; name: string } }

const fresh = () => openStore<DB>(':memory:', [{ name: '001', up: 'CREATE TABLE effects (event_id TEXT, name TEXT)' }])
const effects = (store: Store<DB>) => store.all(store.db.selectFrom('effects').select('name').orderBy('name')).map((e) => e.name)

function account(name: string, eventId = randomUUID(), deliveries = 1): Delivery {
  const { subject, envelope } = makeEnvelope({
    name: 'accounts.created',
    data: { account_id: randomUUID(), name, email: `${name}@ates.test`, role: 'popug', active: true },
    eventId,
    time: new Date(),
    producer: 'auth',
  })
  return { decoded: decodeEvent(subject, JSON.stringify(envelope)), deliveries }
}

function recording(store: Store<DB>, also: (name: string) => void | { retry: string } = () => undefined): Handlers {
  return {
    'accounts.created': (event) => {
      store.run(store.db.insertInto('effects').values({ event_id: event.event_id, name: event.data.name }))
      return also(event.data.name)
    },
  }
}

const options = { consumer: 'test', maxDeliver: 3 }

describe('applyBatch', () => {
  test('each event applies once: a duplicate in the same batch or a later one has no second effect', () => {
    const store = fresh()
    const pip = account('pip')
    assert.deepEqual(
      applyBatch(store, [pip, account('kesha'), pip], recording(store), options).map((o) => o.kind),
      ['applied', 'applied', 'duplicate'],
    )
    assert.deepEqual(applyBatch(store, [pip], recording(store), options), [{ kind: 'duplicate' }])
    assert.deepEqual(effects(store), ['kesha', 'pip'])
  })

  test('a handler idempotent by itself keeps no inbox record: an event seen again runs again, and is a duplicate when the handler finds its effect', () => {
    const store = fresh()
    const inboxRecords = () => store.sqlite.prepare('SELECT count(*) FROM inbox').pluck().get()
    // Idempotent by its own key: one effect per event id.
    const byEventId: Handlers = {
      'accounts.created': idempotent((event) => {
        if (store.sqlite.prepare('SELECT 1 FROM effects WHERE event_id = ?').get(event.event_id) !== undefined) return ALREADY_APPLIED
        store.run(store.db.insertInto('effects').values({ event_id: event.event_id, name: event.data.name }))
      }),
    }
    const pip = account('pip')
    assert.deepEqual(
      applyBatch(store, [pip, pip], byEventId, options).map((o) => o.kind),
      ['applied', 'duplicate'],
    )
    assert.equal(inboxRecords(), 0)
    // A batch applied event by event (one handler failed) takes the same path.
    const failing: Handlers = {
      'accounts.created': idempotent((event) => {
        if (event.data.name === 'poison') throw new Error('no')
        return byEventId['accounts.created']!(event)
      }),
    }
    assert.deepEqual(
      applyBatch(store, [pip, account('poison'), account('kesha')], failing, options).map((o) => o.kind),
      ['duplicate', 'failed', 'applied'],
    )
    assert.equal(inboxRecords(), 0)
    assert.deepEqual(effects(store), ['kesha', 'pip'])
    // A handler not marked is recorded: its second delivery is a duplicate without running.
    assert.deepEqual(applyBatch(store, [pip, pip], recording(store), options).map((o) => o.kind), ['applied', 'duplicate'])
    assert.equal(inboxRecords(), 1)
  })

  test('what cannot be read is dead with its reason; an event without a handler is ignored', () => {
    const store = fresh()
    const [bad] = [{ decoded: decodeEvent('accounts.created.v1', '{"not": "an envelope"'), deliveries: 1 }]
    const outcomes = applyBatch(store, [bad!, account('pip')], { 'accounts.updated': () => undefined }, options)
    assert.equal(outcomes[0]!.kind, 'dead')
    assert.match((outcomes[0] as { reason: string }).reason, /invalid JSON/)
    assert.deepEqual(outcomes[1], { kind: 'ignored' })
  })

  test('a failing handler fails alone: its writes and inbox record are undone, the others apply', () => {
    const store = fresh()
    const poison = account('poison')
    const outcomes = applyBatch(store, [account('pip'), poison, account('kesha')], recording(store, (name) => {
      if (name === 'poison') throw new Error('the ledger is on fire')
    }), options)
    assert.deepEqual(outcomes.map((o) => o.kind), ['applied', 'failed', 'applied'])
    assert.match((outcomes[1] as { reason: string }).reason, /handler failed: the ledger is on fire/)
    assert.deepEqual(effects(store), ['kesha', 'pip'])
    // Not in the inbox: delivered again, it runs again.
    assert.deepEqual(applyBatch(store, [poison], recording(store), options), [{ kind: 'applied' }])
  })

  test('a database that fails inside a handler fails the whole batch: no outcome, nothing applied, nothing for the dead letters', () => {
    const store = fresh()
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
    const handlers = recording(store, (name) => {
      if (name === 'kesha') throw full
    })
    assert.throws(() => applyBatch(store, [account('pip'), account('kesha', undefined, 10)], handlers, options), /disk is full/)
    assert.deepEqual(effects(store), [])
    assert.equal(isInfrastructureError(full), true)
    assert.equal(isInfrastructureError(new Error('the ledger is on fire')), false)
  })

  test('a handler that keeps failing is dead on its last delivery; one that waits is failed with the reason', () => {
    const store = fresh()
    const failing = recording(store, () => {
      throw new Error('nope')
    })
    assert.equal(applyBatch(store, [account('a', randomUUID(), 2)], failing, options)[0]!.kind, 'failed')
    assert.equal(applyBatch(store, [account('b', randomUUID(), 3)], failing, options)[0]!.kind, 'dead')
    const waiting = applyBatch(store, [account('c')], recording(store, () => ({ retry: 'the task is not known yet' })), options)
    assert.deepEqual(waiting, [{ kind: 'failed', reason: 'waiting: the task is not known yet' }])
    assert.deepEqual(effects(store), [])
  })
})
