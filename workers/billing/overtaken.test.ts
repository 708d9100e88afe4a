// A database overtaken (runtime/duty.ts): instance a of billing holds a decision it never
// published when b acts after it; when a becomes active again, its database is set aside and
// rebuilt from the streams, its durables read again from the start. On a server with the
// per-worker NATS users of deploy/nats/users.conf, as a deployment runs it: billing's user may
// touch only the consumers named for it.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { derivedIds } from '../../contracts/derived-ids.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { generatePasswords, type Passwords, SINGLE_CONFIG, serverEnv } from '../../scripts/lib/nats-users.ts'
import { createLogger, silentLogger } from '../runtime/log.ts'
import { connectNats, ensureBuckets, ensureStreams, manager } from '../runtime/nats.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import type { DB } from './store.ts'

type Instance = 'a' | 'b'
const dirs = { a: tempDir(), b: tempDir() }
let nats: NatsFixture
let passwords: Passwords
let streams: TestStreams
let issuer: TestIssuer
const billing: Partial<Record<Instance, RunningWorker<DB>>> = {}
const popug = randomUUID()

async function start(instance: Instance): Promise<RunningWorker<DB>> {
  billing[instance] = await runWorker(
    definition(),
    {
      ATES_NATS_URL: nats.url,
      ATES_NATS_USER: 'billing',
      ATES_NATS_PASS: passwords.billing,
      ATES_DATA_DIR: dirs[instance].path,
      ATES_BILLING_PORT: '0',
      ATES_AUTH_URL: issuer.url,
      ATES_INSTANCE: instance,
      ATES_LEASE_TTL: '3s',
    },
    { log: process.env.DEBUG_OVERTAKEN ? createLogger({ worker: `billing-${instance}` }, { level: 'info' }) : silentLogger },
  )
  return billing[instance]!
}

const publish = <N extends EventName>(name: N, data: EventData<N>) => streams.publish(name, data)
const at = () => new Date().toISOString()
const priceOf = (worker: RunningWorker<DB>, task: string) => worker.ctx.store.prepare('SELECT assign_fee FROM tasks WHERE task_id = ?').pluck().get(task) as number | undefined
const accounts = (worker: RunningWorker<DB>) => worker.ctx.store.prepare('SELECT account_id FROM accounts').pluck().all() as string[]

before(async () => {
  passwords = generatePasswords()
  nats = await startNats({ configFile: SINGLE_CONFIG, env: serverEnv(passwords) })
  const ops = await connectNats({ servers: [nats.url], name: 'ops', user: 'ops', pass: passwords.ops })
  await ensureStreams(await manager(ops), 1)
  await ensureBuckets(ops, 1, 3000)
  await ops.close()
  streams = await connectTestStreams(nats.url, { user: 'ops', pass: passwords.ops })
  issuer = await startTestIssuer()
})

after(async () => {
  for (const worker of Object.values(billing)) await worker?.stop()
  await issuer.stop()
  await streams.close()
  await nats.stop()
  dirs.a.remove()
  dirs.b.remove()
})

test('an instance whose unpublished decision another instance overtook sets its database aside and reads every stream again from the start', async () => {
  const a = await start('a')
  await waitFor(() => a.isActive(), 'a active', 10_000)
  await publish('accounts.created', { account_id: popug, name: 'Popug', email: 'popug@ates.test', role: 'popug', active: true })
  await waitFor(() => accounts(a).includes(popug), 'a knows the popug', 10_000)
  // A decision a makes but never publishes: its relay stands still, and it stops so.
  await a.relay.stop()
  const task = randomUUID()
  await publish('tasks.created', { task_id: task, title: 'Held back', jira_id: null, description: 'd', assignee_id: popug, created_at: at() })
  await waitFor(() => a.ctx.outbox.pending() > 0, 'a decides the price', 10_000)
  await a.stop()

  // b acts meanwhile, deciding that price itself.
  const b = await start('b')
  await waitFor(() => b.isActive(), 'b takes the lease a let go', 10_000)
  await waitFor(async () => (await streams.events('BILLING', 'billing.task_priced.>')).some((e) => (e.data as EventData<'billing.task_priced'>).task_id === task), 'b publishes the price', 10_000)
  await b.stop()

  const durables = ['billing-a-access', 'billing-a-accounts', 'billing-a-tasks']
  const jsm = await manager(streams.nc)
  const created = async () => Promise.all(durables.map(async (d) => (await jsm.consumers.info(d === 'billing-a-tasks' ? 'TASKS' : 'ACCOUNTS', d)).created))
  const before = await created()
  const again = await start('a')
  billing.a = again
  await waitFor(() => again.isActive(), 'a active again', 15_000)
  assert.ok(
    readdirSync(dirs.a.path).some((f) => /^billing\.overtaken-\d+\.sqlite$/.test(f)),
    'the overtaken database is set aside',
  )
  assert.equal(again.ctx.outbox.pending(), 0, 'the overtaken decision is not published')
  const now = await created()
  durables.forEach((durable, i) => assert.notEqual(now[i], before[i], `${durable} is made anew, from the start`))
  // The popug was announced before anything else: only a durable read again from the start brings it in.
  await waitFor(() => accounts(again).includes(popug), 'the rebuilt database knows the popug from ACCOUNTS', 10_000)
  const prices = (await streams.events('BILLING', 'billing.task_priced.>')).filter((e) => (e.data as EventData<'billing.task_priced'>).task_id === task)
  assert.equal(prices.length, 1, 'the task has the one price b published')
})

test('a decision of another instance stored after what the active one read back stops it: it lets the lease go, and its database is set aside before it acts again', async () => {
  const a = billing.a!
  const asideBefore = readdirSync(dirs.a.path).filter((f) => /^billing\.overtaken-\d+\.sqlite$/.test(f)).length
  // b, paused past its lease, publishes a price late: after a read BILLING back.
  const late = randomUUID()
  await streams.publish('billing.task_priced', { task_id: late, assign_fee: 1234, completion_reward: 3456 }, { eventId: derivedIds.price(late) })
  // a then prices a task of its own: its first publish finds b's price after what it knew.
  const task = randomUUID()
  await publish('tasks.created', { task_id: task, title: 'After the late one', jira_id: null, description: 'd', assignee_id: popug, created_at: at() })
  await waitFor(() => !a.isActive(), 'a to stop acting', 10_000)
  // No other instance runs: a takes the lease again after a while, with its database set aside and rebuilt.
  await waitFor(() => a.isActive() && readdirSync(dirs.a.path).filter((f) => /^billing\.overtaken-\d+\.sqlite$/.test(f)).length === asideBefore + 1, 'a active again on a rebuilt database', 20_000)
  await waitFor(() => a.ctx.outbox.pending() === 0 && priceOf(a, task) !== undefined, 'a prices the task again', 10_000)
  assert.equal(priceOf(a, late), 1234, 'the rebuilt database holds the late price')
  const prices = (await streams.events('BILLING', 'billing.task_priced.>')).filter((e) => (e.data as EventData<'billing.task_priced'>).task_id === task)
  assert.equal(prices.length, 1, 'one price of the task in BILLING')
  assert.equal((prices[0]!.data as EventData<'billing.task_priced'>).assign_fee, priceOf(a, task), 'the price a holds is the one published')
})
