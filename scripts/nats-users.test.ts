// The per-worker NATS users of deploy/nats/users.conf, against a real server started with
// that config: each worker can do its job with the consumers the runtime names for it, and the
// server refuses anything outside it — another worker's subjects, streams, consumers and replies.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import { nanos } from '@nats-io/nats-core'
import type { NatsConnection } from '@nats-io/transport-node'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WORKERS, type WorkerName } from '../workers/runtime/config.ts'
import { connectNats, ensureBuckets, ensureDurable, ensureStreams, inboxOf, manager, STREAMS, type StreamName, streamOf } from '../workers/runtime/nats.ts'
import { WindowPublisher } from '../workers/runtime/publisher.ts'
import { readToEnd } from '../workers/runtime/replay.ts'
import { type NatsFixture, startNats } from '../workers/runtime/testing/nats-server.ts'
import { generatePasswords, type NatsUser, type Passwords, SINGLE_CONFIG, serverEnv } from './lib/nats-users.ts'
import { CLUSTER_INSTANCES, consumersOf, usersConf } from './lib/users-conf.ts'

/** What each worker publishes (SPEC §2, §3). */
const PUBLISHES: Record<WorkerName, string> = {
  auth: 'accounts.created.v1',
  tasks: 'tasks.created.v2',
  billing: 'billing.transaction_applied.v1',
  close: 'billing.day_close_requested.v1',
  analytics: 'analytics.day_figures.v1',
  audit: 'dlq.audit',
}

const REFUSED_PUBLISHES: Array<[WorkerName, string]> = [
  ['close', 'tasks.created.v2'],
  ['close', 'billing.payout_made.v1'],
  ['tasks', 'billing.transaction_applied.v1'],
  ['tasks', 'accounts.updated.v1'],
  ['billing', 'billing.day_close_requested.v1'],
  ['auth', 'tasks.completed.v1'],
  ['analytics', 'billing.day_closed.v1'],
  ['analytics', 'dlq.billing'],
  ['billing', 'analytics.day_figures.v1'],
  ['audit', 'tasks.assigned.v1'],
  ['audit', 'billing.transaction_applied.v1'],
  ['audit', 'analytics.day_figures.v1'],
  ['audit', 'accounts.created.v1'],
  ['audit', 'dlq.billing'],
]

const DENIED = /permissions violation/i

describe('per-worker NATS users', () => {
  let nats: NatsFixture
  let passwords: Passwords
  const connections: NatsConnection[] = []
  /** Connected as a worker connects: its own user and its own inbox prefix. */
  const as = async (user: NatsUser, inboxPrefix = user === 'ops' ? undefined : inboxOf(user)) => {
    const nc = await connectNats({ servers: [nats.url], name: user, user, pass: passwords[user], inboxPrefix })
    connections.push(nc)
    return nc
  }
  /** A message that a consumer with this filter takes, published by ops ('>': the whole stream). */
  const feed = async (stream: StreamName, filter: string) => {
    const subject = filter === '>' ? STREAMS[stream].subjects[0]! : filter
    await jetstream(await as('ops')).publish(subject.replace('>', 'test'), 'hello')
  }
  const opsManager = async () => manager(await as('ops'))

  before(async () => {
    passwords = generatePasswords()
    nats = await startNats({ configFile: SINGLE_CONFIG, env: serverEnv(passwords) })
    await ensureStreams(await opsManager(), 1)
  })
  after(async () => {
    await Promise.all(connections.map((nc) => nc.close()))
    await nats.stop()
  })

  test('a wrong password is refused', async () => {
    await assert.rejects(connectNats({ servers: [nats.url], name: 'x', user: 'billing', pass: 'guess' }), /authorization/i)
  })

  test('users.conf is what `make users-conf` writes from the workers as they are now', () => {
    const committed = readFileSync(fileURLToPath(new URL('../deploy/nats/users.conf', import.meta.url)), 'utf8')
    assert.ok(committed === usersConf(), 'deploy/nats/users.conf is stale: run make users-conf')
  })

  test("every consumer the runtime names is its worker's, and no two workers share one", () => {
    const instances = [undefined, ...CLUSTER_INSTANCES]
    const names = WORKERS.flatMap((worker) => [...new Set(instances.flatMap((instance) => consumersOf(worker, instance).map((c) => c.durable)))].map((durable) => [worker, durable] as const))
    for (const [worker, name] of names) assert.ok(name.startsWith(`${worker}-`), `${name} carries ${worker}'s prefix`)
    assert.equal(new Set(names.map(([, name]) => name)).size, names.length)
    assert.deepEqual(consumersOf('auth').map((c) => c.stream), ['AUTH'], 'auth reads only its own stream back')
  })

  for (const worker of WORKERS) {
    // The unnamed instance's consumers, and instance b's as `make cluster` names them.
    const consumers = [...consumersOf(worker), ...consumersOf(worker, 'b')]
    test(`${worker} publishes ${PUBLISHES[worker]} and creates, pulls from, acks on and deletes ${consumers.map((c) => c.durable).join(', ') || 'no consumer'}`, async () => {
      const nc = await as(worker)
      const js = jetstream(nc)
      const ack = await js.publish(PUBLISHES[worker], '{}', { msgID: `${worker}-own` })
      assert.equal(ack.duplicate, false)
      // As the outbox relay publishes: a window, its PubAcks on the worker's own inbox.
      const relay = new WindowPublisher(nc, 5000)
      const windowed = await relay.publish([1, 2].map((n) => ({ subject: PUBLISHES[worker], payload: '{}', msgId: `${worker}-relayed-${n}` })))
      relay.close()
      assert.equal(windowed.acked, 2)
      assert.equal(windowed.failure, undefined)
      const jsm = await manager(nc)
      await ensureStreams(jsm, 1) // only looks: the streams exist
      for (const { stream, filter, durable } of consumers) {
        await feed(stream, filter)
        await ensureDurable(jsm, { stream, durable, filter: filter === '>' ? STREAMS[stream].subjects[0]! : filter, ackWaitMs: 30_000, maxAckPending: 100 })
        const consumer = await js.consumers.get(stream, durable)
        const msg = await consumer.next({ expires: 5000 })
        assert.ok(msg, `${worker} reads ${stream} through ${durable}`)
        await msg.ackAck()
        assert.equal((await consumer.info()).num_ack_pending, 0, 'acked')
        assert.equal(await jsm.consumers.delete(stream, durable), true)
      }
    })
  }

  test("a worker writes its own lease key and reads the others', and may not write another's", async () => {
    const ops = await as('ops')
    await ensureBuckets(ops, 1, 8000)
    const billingKv = await new Kvm(await as('billing')).open('ates_leases')
    await billingKv.put('billing', JSON.stringify({ instance: 'test' }))
    assert.equal((await billingKv.get('billing'))?.json<{ instance: string }>().instance, 'test')
    const analyticsKv = await new Kvm(await as('analytics')).open('ates_leases')
    await analyticsKv.put('analytics.a', '{}')
    assert.equal((await analyticsKv.get('billing'))?.json<{ instance: string }>().instance, 'test', 'analytics reads who holds billing')
    await assert.rejects(analyticsKv.put('billing', '{}', { timeout: 3000 }), DENIED)
  })

  test('billing reads its own stream back through billing-readback, in order', async () => {
    const nc = await as('billing')
    const read: string[] = []
    const count = await readToEnd(jetstream(nc), await manager(nc), 'BILLING', (events) => read.push(...events.map((e) => e.event_name)), { name: 'billing-readback' })
    assert.ok(count > 0)
    assert.equal((await (await opsManager()).streams.info('BILLING')).state.consumer_count, 0, 'and leaves no consumer behind')
  })

  for (const [worker, subject] of REFUSED_PUBLISHES) {
    test(`${worker} may not publish ${subject}, and nothing is stored`, async () => {
      const stream = streamOf(subject)
      const ops = await opsManager()
      const before = (await ops.streams.info(stream)).state.messages
      const js = jetstream(await as(worker))
      await assert.rejects(js.publish(subject, '{}', { timeout: 5000 }), DENIED)
      assert.equal((await ops.streams.info(stream)).state.messages, before)
    })
  }

  test('workers may not create or delete streams, nor create a consumer not named for them', async () => {
    const jsm = await manager(await as('tasks'))
    await assert.rejects(jsm.streams.add({ name: 'SIDE', subjects: ['side.>'] }), DENIED)
    await assert.rejects(jsm.streams.delete('TASKS'), DENIED)
    const spec = { stream: 'BILLING' as const, durable: 'tasks-peek', filter: 'billing.>', ackWaitMs: 30_000, maxAckPending: 1 }
    await assert.rejects(ensureDurable(jsm, spec), DENIED, 'a stream outside its job')
    await assert.rejects(ensureDurable(jsm, { ...spec, stream: 'ACCOUNTS', filter: 'accounts.>' }), DENIED, 'its own prefix, but a name the runtime never gives it')
    await assert.rejects(ensureDurable(jsm, { ...spec, stream: 'ACCOUNTS', durable: 'billing-accounts', filter: 'accounts.>' }), DENIED, "another worker's name")
    const authJsm = await manager(await as('auth'))
    await assert.rejects(ensureDurable(authJsm, { ...spec, stream: 'TASKS', durable: 'auth-peek', filter: 'tasks.>' }), DENIED)
  })

  test("analytics may not pull from, ack on or delete billing's durable, which keeps its message", async () => {
    const billingNc = await as('billing')
    const billingJsm = await manager(billingNc)
    const durable = 'billing-tasks'
    await ensureDurable(billingJsm, { stream: 'TASKS', durable, filter: 'tasks.>', ackWaitMs: 30_000, maxAckPending: 100 })
    await feed('TASKS', 'tasks.assigned.>')
    // billing pulls one message and holds it unacked; its reply subject is where an ack would go.
    // (Not multiplexed: a delivery carries the message's own subject, not the request's inbox.)
    const delivered = await billingNc.request(`$JS.API.CONSUMER.MSG.NEXT.TASKS.${durable}`, JSON.stringify({ batch: 1, expires: nanos(5000) }), {
      timeout: 6000,
      noMux: true,
    })
    const ackSubject = delivered.reply
    assert.ok(ackSubject?.startsWith(`$JS.ACK.TASKS.${durable}.`), `a delivery with its ack subject: ${ackSubject}`)

    const intruder = await as('analytics')
    const intruderJsm = await manager(intruder)
    await assert.rejects(intruder.request(`$JS.API.CONSUMER.MSG.NEXT.TASKS.${durable}`, JSON.stringify({ batch: 1 }), { timeout: 5000, noMux: true }), DENIED, 'pull')
    await assert.rejects(intruder.request(ackSubject!, '+ACK', { timeout: 5000 }), DENIED, 'ack')
    await assert.rejects(intruderJsm.consumers.delete('TASKS', durable), DENIED, 'delete')
    await assert.rejects(intruderJsm.consumers.info('TASKS', durable), DENIED, 'info')

    const ops = await opsManager()
    const state = await ops.consumers.info('TASKS', durable)
    assert.equal(state.num_ack_pending, 1, 'the message billing holds is still not acked')
    await billingNc.request(ackSubject!, '+ACK', { timeout: 5000 })
    assert.equal((await ops.consumers.info('TASKS', durable)).num_ack_pending, 0, 'the control: billing acks it')
  })

  test('the audit reads only through its own durables: not through another worker\'s, a new one, or an ordered read', async () => {
    const ops = await opsManager()
    await ensureDurable(ops, { stream: 'BILLING', durable: 'billing-billing', filter: 'billing.>', ackWaitMs: 30_000, maxAckPending: 100 })
    const nc = await as('audit')
    const jsm = await manager(nc)
    const js = jetstream(nc)
    await assert.rejects(js.consumers.get('BILLING', 'billing-billing'), DENIED)
    await assert.rejects(ensureDurable(jsm, { stream: 'TASKS', durable: 'audit-peek', filter: 'tasks.>', ackWaitMs: 30_000, maxAckPending: 1 }), DENIED)
    await assert.rejects((async () => (await js.consumers.get('TASKS')).next({ expires: 2000 }))(), DENIED)
    await assert.rejects(jsm.consumers.delete('BILLING', 'billing-billing'), DENIED)
  })

  test("no worker reads another's replies: each may subscribe only to its own inbox", async () => {
    const intruder = await as('analytics')
    const refusal = (subject: string) =>
      new Promise<string>((resolve) => {
        const sub = intruder.subscribe(subject)
        void (async () => {
          try {
            for await (const m of sub) return resolve(`received ${m.subject}`)
            resolve('closed without a reason')
          } catch (error) {
            resolve((error as Error).message)
          }
        })()
      })
    const billingNc = await as('billing')
    const watched = [refusal(`${inboxOf('billing')}.>`), refusal('_INBOX.>'), refusal('>')]
    // billing talks to JetStream meanwhile: its answers go to _INBOX_billing.
    await (await manager(billingNc)).streams.info('TASKS')
    for (const said of await Promise.all(watched)) assert.match(said, /Permissions Violation for Subscription/)

    // A worker connecting without its own prefix gets no answers at all.
    const misconfigured = await as('billing', '_INBOX')
    await assert.rejects(manager(misconfigured).then((jsm) => jsm.streams.info('TASKS')))
  })
})
