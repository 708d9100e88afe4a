// The three-node cluster of deploy/nats/cluster/ with replicated streams: the runtime's
// outbox and consumer keep working while the stream's leader node is killed and restarted,
// and every event is handled exactly once.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { EventConsumer } from '../workers/runtime/consumer.ts'
import { silentLogger } from '../workers/runtime/log.ts'
import { connectNats, ensureStreams, manager } from '../workers/runtime/nats.ts'
import { Outbox, OutboxRelay } from '../workers/runtime/outbox.ts'
import { openStore, type Store } from '../workers/runtime/store.ts'
import { tempDir, waitFor } from '../workers/runtime/testing/helpers.ts'
import { freePort, type NatsFixture, startNats } from '../workers/runtime/testing/nats-server.ts'
import { type ClusterPorts, NODES, type Node, nodeOfServer, routeArgs } from './lib/cluster.ts'
import { clusterConfig, generatePasswords, serverEnv } from './lib/nats-users.ts'

type DB = { effects: { event_id: string } }
const TOTAL = 600

const dir = tempDir('ates-cluster-')
const passwords = generatePasswords()
const nodes = new Map<Node, NatsFixture>()
const connections: NatsConnection[] = []
let urls: string[] = []

before(async () => {
  const ports: ClusterPorts = { client: { 1: 0, 2: 0, 3: 0 }, route: { 1: 0, 2: 0, 3: 0 } }
  for (const n of NODES) {
    ports.client[n] = await freePort()
    ports.route[n] = await freePort()
  }
  const started = await Promise.all(
    NODES.map((n) =>
      startNats({
        configFile: clusterConfig(n),
        port: ports.client[n],
        storeDir: join(dir.path, `n${n}`),
        args: routeArgs(n, ports),
        env: serverEnv(passwords),
      }),
    ),
  )
  for (const n of NODES) nodes.set(n, started[n - 1]!)
  urls = started.map((s) => s.url)
})

after(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)))
  for (const node of nodes.values()) await node.stop()
  dir.remove()
})

async function connectAs(user: 'ops' | 'auth' | 'tasks'): Promise<NatsConnection> {
  const nc = await connectNats({ servers: urls, name: `test-${user}`, user, pass: passwords[user] })
  connections.push(nc)
  return nc
}

test('outbox and consumer lose and double nothing while the stream leader dies and comes back', async () => {
  // The meta leader is elected a moment after the nodes are up.
  const opsNc = await connectAs('ops')
  const ops = await waitFor(() => manager(opsNc).catch(() => undefined), 'JetStream to answer', 30_000)
  await waitFor(async () => ensureStreams(ops, 3).then(() => true, () => false), 'streams with 3 replicas', 30_000)
  const info = await ops.streams.info('ACCOUNTS')
  assert.equal(info.config.num_replicas, 3)

  // auth's side: an outbox on its own SQLite, relayed as the auth user.
  const producerStore = openStore<unknown>(join(dir.path, 'auth.sqlite'), [])
  const authNc = await connectAs('auth')
  const outbox = new Outbox(producerStore, 'auth', () => new Date(), randomUUID)
  const relay = new OutboxRelay({ store: producerStore, js: jetstream(authNc), log: silentLogger, publishTimeoutMs: 2000 })
  outbox.onEmit = () => relay.kick()
  relay.start()

  // tasks' side: a durable consumer as the tasks user, recording each effect.
  const consumerStore = openStore<DB>(join(dir.path, 'tasks.sqlite'), [
    { name: '001_effects', up: 'CREATE TABLE effects (event_id TEXT NOT NULL)' },
  ])
  const tasksNc = await connectAs('tasks')
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
  const leader = nodeOfServer(info.cluster?.leader)
  assert.ok(leader, `leader ${info.cluster?.leader} is one of ours`)
  const victim = nodes.get(leader)!

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

  await consumer.stop()
  await relay.stop()
  producerStore.close()
  consumerStore.close()
})
