// The per-worker NATS users of deploy/nats/users.conf, against a real server started with
// that config: each worker can do its job, and the server refuses anything outside it.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { WorkerName } from '../workers/runtime/config.ts'
import { connectNats, ensureDurable, ensureStreams, manager, type StreamName, streamOf } from '../workers/runtime/nats.ts'
import { type NatsFixture, startNats } from '../workers/runtime/testing/nats-server.ts'
import { generatePasswords, type NatsUser, type Passwords, SINGLE_CONFIG, serverEnv } from './lib/nats-users.ts'

/** What each worker publishes and reads (SPEC §2, §3); `durables` names its consumers where they are named as the worker's own. */
const JOBS: Record<WorkerName, { publishes: string; reads: StreamName[]; durables?: Partial<Record<StreamName, { durable: string; filter: string }>> }> = {
  auth: { publishes: 'accounts.created.v1', reads: [] },
  tasks: { publishes: 'tasks.created.v2', reads: ['ACCOUNTS'] },
  billing: { publishes: 'billing.transaction_applied.v1', reads: ['ACCOUNTS', 'TASKS', 'BILLING'] },
  close: { publishes: 'billing.day_close_requested.v1', reads: ['ACCOUNTS', 'BILLING'] },
  analytics: { publishes: 'analytics.day_figures.v1', reads: ['TASKS', 'BILLING'] },
  audit: {
    publishes: 'dlq.audit',
    reads: ['TASKS', 'BILLING', 'ANALYTICS'],
    durables: {
      TASKS: { durable: 'audit-tasks', filter: 'tasks.>' },
      BILLING: { durable: 'audit-billing', filter: 'billing.>' },
      ANALYTICS: { durable: 'audit-analytics-day_figures', filter: 'analytics.day_figures.>' },
    },
  },
}

const SAMPLE_SUBJECT: Record<StreamName, string> = { ACCOUNTS: 'accounts.x', TASKS: 'tasks.x', BILLING: 'billing.x', ANALYTICS: 'analytics.day_figures.x', AUTH: 'auth.x', CLOSE: 'close.x', DLQ: 'dlq.x' }

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
  ['audit', 'billing.day_close_requested.v1'],
  ['audit', 'analytics.day_figures.v1'],
  ['audit', 'accounts.created.v1'],
  ['audit', 'dlq.billing'],
]

describe('per-worker NATS users', () => {
  let nats: NatsFixture
  let passwords: Passwords
  const connections: NatsConnection[] = []
  const as = async (user: NatsUser) => {
    const nc = await connectNats({ servers: [nats.url], name: user, user, pass: passwords[user] })
    connections.push(nc)
    return nc
  }

  before(async () => {
    passwords = generatePasswords()
    nats = await startNats({ configFile: SINGLE_CONFIG, env: serverEnv(passwords) })
    await ensureStreams(await manager(await as('ops')), 1)
  })
  after(async () => {
    await Promise.all(connections.map((nc) => nc.close()))
    await nats.stop()
  })

  test('a wrong password is refused', async () => {
    await assert.rejects(connectNats({ servers: [nats.url], name: 'x', user: 'billing', pass: 'guess' }), /authorization/i)
  })

  for (const [worker, job] of Object.entries(JOBS) as Array<[WorkerName, (typeof JOBS)[WorkerName]]>) {
    test(`${worker} publishes ${job.publishes} and consumes ${job.reads.join(', ') || 'nothing'}`, async () => {
      const nc = await as(worker)
      const js = jetstream(nc)
      const ack = await js.publish(job.publishes, '{}', { msgID: `${worker}-own` })
      assert.equal(ack.duplicate, false)
      const jsm = await manager(nc)
      await ensureStreams(jsm, 1) // only looks: the streams exist
      for (const stream of job.reads) {
        await jetstream(await as('ops')).publish(SAMPLE_SUBJECT[stream], 'hello')
        const { durable, filter } = job.durables?.[stream] ?? { durable: `${worker}-${stream.toLowerCase()}`, filter: `${stream.toLowerCase()}.>` }
        await ensureDurable(jsm, { stream, durable, filter, ackWaitMs: 30_000, maxAckPending: 100 })
        const consumer = await js.consumers.get(stream, durable)
        const msg = await consumer.next({ expires: 5000 })
        assert.ok(msg, `${worker} reads ${stream}`)
        await msg.ackAck()
      }
    })
  }

  for (const [worker, subject] of REFUSED_PUBLISHES) {
    test(`${worker} may not publish ${subject}, and nothing is stored`, async () => {
      const stream = streamOf(subject)
      const ops = await manager(await as('ops'))
      const before = (await ops.streams.info(stream)).state.messages
      const js = jetstream(await as(worker))
      await assert.rejects(js.publish(subject, '{}', { timeout: 5000 }), /permissions violation/i)
      assert.equal((await ops.streams.info(stream)).state.messages, before)
    })
  }

  test('the audit reads only through its own durables: not through another worker\'s, a new one, or an ordered read', async () => {
    const ops = await manager(await as('ops'))
    await ensureDurable(ops, { stream: 'BILLING', durable: 'billing-billing', filter: 'billing.>', ackWaitMs: 30_000, maxAckPending: 100 })
    const nc = await as('audit')
    const jsm = await manager(nc)
    const js = jetstream(nc)
    await assert.rejects(js.consumers.get('BILLING', 'billing-billing'), /permissions violation/i)
    await assert.rejects(ensureDurable(jsm, { stream: 'TASKS', durable: 'audit-peek', filter: 'tasks.>', ackWaitMs: 30_000, maxAckPending: 1 }), /permissions violation/i)
    await assert.rejects(ensureDurable(jsm, { stream: 'ACCOUNTS', durable: 'audit-tasks', filter: 'accounts.>', ackWaitMs: 30_000, maxAckPending: 1 }), /permissions violation/i)
    await assert.rejects((async () => (await js.consumers.get('TASKS')).next({ expires: 2000 }))(), /permissions violation/i)
    await assert.rejects(jsm.consumers.delete('BILLING', 'billing-billing'), /permissions violation/i)
  })

  test('workers may not create streams nor read streams outside their job', async () => {
    const jsm = await manager(await as('tasks'))
    await assert.rejects(jsm.streams.add({ name: 'SIDE', subjects: ['side.>'] }), /permissions violation/i)
    await assert.rejects(jsm.streams.delete('TASKS'), /permissions violation/i)
    const spec = { stream: 'BILLING' as const, durable: 'tasks-peek', filter: 'billing.>', ackWaitMs: 30_000, maxAckPending: 1 }
    await assert.rejects(ensureDurable(jsm, spec), /permissions violation/i)
    const auth = await manager(await as('auth'))
    await assert.rejects(
      ensureDurable(auth, { ...spec, stream: 'TASKS', durable: 'auth-peek', filter: 'tasks.>' }),
      /permissions violation/i,
    )
  })
})
