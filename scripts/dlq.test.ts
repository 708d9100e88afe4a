// A message dead-lettered by a runtime consumer is listed with its reason by `make dlq`,
// re-driven by `make dlq-redrive` after the handler is fixed, and then handled once.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import { EventConsumer } from '../workers/runtime/consumer.ts'
import { silentLogger } from '../workers/runtime/log.ts'
import { openStore, type Store } from '../workers/runtime/store.ts'
import { tempDir, waitFor } from '../workers/runtime/testing/helpers.ts'
import { startTestBroker, type TestBroker } from '../workers/runtime/testing/streams.ts'

const run = promisify(execFile)
let broker: TestBroker
const dir = tempDir()

before(async () => {
  broker = await startTestBroker()
})
after(async () => {
  await broker.stop()
  dir.remove()
})

const cli = (...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/dlq.ts', ...args], {
    env: { ...process.env, ATES_NATS_URL: broker.nats.url, ATES_NATS_USER: '', ATES_DATA_DIR: dir.path },
  })

/** Publishes a tasks.completed event to TASKS; returns its event id. */
function publishCompleted(): Promise<string> {
  return broker.streams.publish('tasks.completed', { task_id: randomUUID(), assignee_id: randomUUID(), completed_at: new Date().toISOString() })
}

test('dead letter → listed with its reason → re-driven after the fix → handled once', async () => {
  type DB = { effects: { event_id: string } }
  const store = openStore<DB>(join(dir.path, 'billing.sqlite'), [{ name: '001', up: 'CREATE TABLE effects (event_id TEXT)' }])
  let broken = true
  const { js, jsm } = broker.streams
  const consumer = new EventConsumer({
    worker: 'billing',
    durable: 'billing-tasks',
    stream: 'TASKS',
    filter: 'tasks.>',
    store: store as Store<unknown>,
    js,
    jsm,
    log: silentLogger,
    backoffMs: () => 20,
    maxDeliver: 3,
    handlers: {
      'tasks.completed': (event) => {
        if (broken) throw new Error('ledger is read-only')
        store.run(store.db.insertInto('effects').values({ event_id: event.event_id }))
      },
    },
  })
  await consumer.start()
  const eventId = await publishCompleted()
  await waitFor(async () => (await consumer.lag()) === 0 && (await jsm.streams.info('DLQ')).state.messages === 1, 'a dead letter')

  const listed = await cli()
  const lines = listed.stdout.trim().split('\n')
  assert.equal(lines.length, 2)
  assert.match(lines[0]!, new RegExp(`billing +tasks\\.completed\\.v1 +event=${eventId} +deliveries=3 +reason="[^"]*ledger is read-only`))
  assert.equal(lines[1], '1 dead letter')
  assert.match((await cli('list', 'analytics')).stdout, /^0 dead letters of analytics/)

  broken = false
  assert.match((await cli('redrive', 'billing')).stdout, /re-drove 1 dead letter of billing/)
  await waitFor(() => store.all(store.db.selectFrom('effects').selectAll()).length === 1, 'the re-driven event handled')
  assert.match((await cli()).stdout, /^0 dead letters/)
  await consumer.stop()
  assert.deepEqual(store.all(store.db.selectFrom('effects').selectAll()), [{ event_id: eventId }])
  store.close()
})

test('one message dead-lettered by two workers is sent back once, and each handles it once', async () => {
  type DB = { effects: { event_id: string } }
  const { js, jsm } = broker.streams
  await jsm.streams.purge('TASKS') // the durables below read from the first message
  let broken = true
  const workers = await Promise.all(
    (['billing', 'analytics'] as const).map(async (worker) => {
      const store = openStore<DB>(join(dir.path, `${worker}-twice.sqlite`), [{ name: '001', up: 'CREATE TABLE effects (event_id TEXT)' }])
      const consumer = new EventConsumer({
        worker,
        durable: `${worker}-twice`,
        stream: 'TASKS',
        filter: 'tasks.completed.>',
        store: store as Store<unknown>,
        js,
        jsm,
        log: silentLogger,
        backoffMs: () => 20,
        maxDeliver: 2,
        handlers: {
          'tasks.completed': (event) => {
            if (broken) throw new Error(`${worker} is not ready`)
            store.run(store.db.insertInto('effects').values({ event_id: event.event_id }))
          },
        },
      })
      await consumer.start()
      return { store, consumer, effects: () => store.all(store.db.selectFrom('effects').selectAll()) }
    }),
  )
  const eventId = await publishCompleted()
  await waitFor(async () => (await jsm.streams.info('DLQ')).state.messages === 2, 'a dead letter from each worker')
  const stored = (await jsm.streams.info('TASKS')).state.messages

  broken = false
  assert.match((await cli('redrive')).stdout, /re-drove 2 dead letters to their original subjects/)
  assert.equal((await jsm.streams.info('TASKS')).state.messages, stored + 1, 'sent back once')
  await waitFor(() => workers.every((w) => w.effects().length === 1), 'each worker handled it')
  assert.match((await cli()).stdout, /^0 dead letters/)
  for (const w of workers) {
    await w.consumer.stop()
    assert.deepEqual(w.effects(), [{ event_id: eventId }])
    w.store.close()
  }
})
