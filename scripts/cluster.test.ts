// The three-node cluster of deploy/nats/cluster/ with replicated streams: the runtime's
// outbox and consumer keep working while the stream's leader node is killed and restarted,
// and every event is handled exactly once.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import { EventConsumer } from '../workers/runtime/consumer.ts'
import { silentLogger } from '../workers/runtime/log.ts'
import { manager } from '../workers/runtime/nats.ts'
import { Outbox, OutboxRelay } from '../workers/runtime/outbox.ts'
import { openStore, type Store } from '../workers/runtime/store.ts'
import { tempDir, waitFor } from '../workers/runtime/testing/helpers.ts'
import { startCluster, type TestCluster } from './testing/cluster.ts'

type DB = { effects: { event_id: string } }
const TOTAL = 600

const dir = tempDir('ates-cluster-test-')
let cluster: TestCluster

before(async () => {
  cluster = await startCluster()
})

after(async () => {
  await cluster?.stop()
  dir.remove()
})

test('outbox and consumer lose and double nothing while the stream leader dies and comes back', async () => {
  const ops = await manager(await cluster.connect('ops'))
  const info = await ops.streams.info('ACCOUNTS')
  assert.equal(info.config.num_replicas, 3)

  // auth's side: an outbox on its own SQLite, relayed as the auth user.
  const producerStore = openStore<unknown>(join(dir.path, 'auth.sqlite'), [])
  const authNc = await cluster.connect('auth')
  const outbox = new Outbox(producerStore, 'auth', () => new Date(), randomUUID)
  const relay = new OutboxRelay({ store: producerStore, nc: authNc, log: silentLogger, publishTimeoutMs: 2000 })
  outbox.onEmit = () => relay.kick()
  relay.start()

  // tasks' side: a durable consumer as the tasks user, recording each effect.
  const consumerStore = openStore<DB>(join(dir.path, 'tasks.sqlite'), [
    { name: '001_effects', up: 'CREATE TABLE effects (event_id TEXT NOT NULL)' },
  ])
  const tasksNc = await cluster.connect('tasks')
  const consumer = new EventConsumer({
    worker: 'tasks',
    durable: 'tasks-accounts',
    stream: 'ACCOUNTS',
    filter: 'accounts.>',
    store: consumerStore as Store<unknown>,
    js: jetstream(tasksNc),
    jsm: await manager(tasksNc),
    log: silentLogger,
    backoffMs: () => 100,
    handlers: {
      'accounts.created': (event) => {
        consumerStore.run(consumerStore.db.insertInto('effects').values({ event_id: event.event_id }))
      },
    },
  })
  await consumer.start()

  const emit = (count: number) =>
    producerStore.tx(() => {
      for (let i = 0; i < count; i++) {
        const id = randomUUID()
        outbox.emit('accounts.created', { account_id: id, name: `p-${id.slice(0, 6)}`, email: `${id}@ates.test`, role: 'popug', active: true })
      }
    })
  const victim = cluster.node(await cluster.leaderOf('ACCOUNTS'))

  for (let batch = 0; batch < TOTAL / 20; batch++) {
    emit(20)
    if (batch === 10) await victim.kill()
    if (batch === 20) await victim.start()
    await new Promise((r) => setTimeout(r, 20))
  }

  const effects = () => consumerStore.all(consumerStore.db.selectFrom('effects').selectAll())
  await waitFor(() => effects().length >= TOTAL && outbox.pending() === 0, `${TOTAL} events handled`, 90_000)
  await waitFor(async () => (await consumer.lag()) === 0, 'consumer caught up', 30_000)
  const handled = effects().map((e) => e.event_id)
  assert.equal(handled.length, TOTAL, 'each event handled once')
  assert.equal(new Set(handled).size, TOTAL, 'no event handled twice')
  assert.equal((await ops.streams.info('ACCOUNTS')).state.messages, TOTAL, 'the stream holds each event once')
  await cluster.replicasCurrent(['ACCOUNTS'])

  await consumer.stop()
  await relay.stop()
  producerStore.close()
  consumerStore.close()
})
