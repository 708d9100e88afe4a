// A warm standby of billing (runtime/follow.ts), on a real nats-server with two instances and
// their own SQLite files: while `a` is active, `b` brings in a's decisions and applies the
// events they answer, never deciding anything itself, and stops at an event whose decision a
// has not published; when b takes over, its durables start after what it applied, and it goes
// on from there: every assignment still carries exactly one fee.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { derivedIds } from '../../contracts/derived-ids.ts'
import { createLogger, silentLogger } from '../runtime/log.ts'
import { manager } from '../runtime/nats.ts'
import { runtimeValue, type Store } from '../runtime/store.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import type { DB } from './store.ts'

const dirs = { a: tempDir(), b: tempDir() }
let nats: NatsFixture
let streams: TestStreams
let issuer: TestIssuer
const billing: Partial<Record<'a' | 'b', RunningWorker<DB>>> = {}
const popugs = [randomUUID(), randomUUID(), randomUUID()]

async function start(instance: 'a' | 'b') {
  billing[instance] = await runWorker(
    definition(),
    { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dirs[instance].path, ATES_BILLING_PORT: '0', ATES_AUTH_URL: issuer.url, ATES_INSTANCE: instance, ATES_LEASE_TTL: '3s' },
    { log: process.env.DEBUG_STANDBY ? createLogger({ worker: `billing-${instance}` }, { level: "info" }) : silentLogger, consumer: { backoffMs: () => 30 } },
  )
}

const publish = <N extends EventName>(name: N, data: EventData<N>) => streams.publish(name, data)
const at = () => new Date().toISOString()

/** n tasks, each created and assigned to a popug in turn, every third completed; returns the assignment event ids. */
async function work(n: number): Promise<string[]> {
  const assignments: string[] = []
  for (let i = 0; i < n; i++) {
    const task = randomUUID()
    const popug = popugs[i % popugs.length]!
    await publish('tasks.created', { task_id: task, title: `Task ${i}`, jira_id: null, description: 'd', assignee_id: popug, created_at: at() })
    assignments.push(await publish('tasks.assigned', { task_id: task, assignee_id: popug, previous_assignee_id: null, assigned_at: at() }))
    if (i % 3 === 0) await publish('tasks.completed', { task_id: task, assignee_id: popug, completed_at: at() })
  }
  return assignments
}

type Readyz = { status: string; following?: { rounds: number; warm: boolean; last_round: { applied: number } | null } }
const readyz = async (instance: 'a' | 'b') => (await (await fetch(`${billing[instance]!.url}/readyz`)).json()) as Readyz

const balances = (instance: 'a' | 'b') =>
  (billing[instance]!.ctx.store.prepare('SELECT account_id, balance FROM balances ORDER BY account_id').all() as Array<{ account_id: string; balance: number }>).map((b) => `${b.account_id} ${b.balance}`)

const priceIn = (instance: 'a' | 'b', task: string) =>
  billing[instance]!.ctx.store.prepare('SELECT assign_fee FROM tasks WHERE task_id = ? AND assign_fee IS NOT NULL').pluck().get(task) as number | undefined

const followedTasks = () => Number(runtimeValue(billing.b!.ctx.store as Store<unknown>, 'follow billing-b-tasks') ?? 0)

/** The fees in BILLING, by the assignment each answers. */
async function feesByCause(assignments: string[]): Promise<number[]> {
  const fees = (await streams.events('BILLING', 'billing.transaction_applied.>')).map((e) => e.data as EventData<'billing.transaction_applied'>).filter((d) => d.kind === 'assign_fee')
  return assignments.map((cause) => fees.filter((f) => f.transaction_id === derivedIds.fee(cause)).length)
}

before(async () => {
  nats = await startNats()
  streams = await connectTestStreams(nats.url)
  issuer = await startTestIssuer()
  await start('a')
  await waitFor(() => billing.a!.isActive(), 'a active', 10_000)
  for (const [i, id] of popugs.entries()) await publish('accounts.created', { account_id: id, name: `popug ${i}`, email: `p${i}@ates.test`, role: 'popug', active: true })
  await start('b')
})

after(async () => {
  for (const worker of Object.values(billing)) await worker?.stop()
  await issuer.stop()
  await streams.close()
  await nats.stop()
  dirs.a.remove()
  dirs.b.remove()
})

const assignments: string[] = []

test('a standby brings in the active instance’s decisions and applies what they answer, deciding nothing itself', async () => {
  assert.equal((await readyz('b')).status, 'standby')
  assignments.push(...(await work(30)))
  const tasksEnd = async () => (await (await manager(streams.nc)).streams.info('TASKS')).state.last_seq
  await waitFor(async () => followedTasks() === (await tasksEnd()) && balances('b').join() === balances('a').join(), 'b has applied every tasks event, its balances a’s', 20_000)
  assert.ok(balances('b').length >= popugs.length)
  assert.equal(billing.b!.ctx.outbox.pending(), 0, 'b kept no decision of its own to publish')
  await waitFor(async () => (await readyz('b')).following?.warm === true, 'b says it is warm', 10_000)
  assert.deepEqual(await feesByCause(assignments), assignments.map(() => 1))
})

test('a standby stops at an event whose decision the active instance has not published, and goes on once it has', async () => {
  await billing.a!.relay.stop()
  const task = randomUUID()
  await publish('tasks.created', { task_id: task, title: 'Held back', jira_id: null, description: 'd', assignee_id: popugs[0]!, created_at: at() })
  const created = (await (await manager(streams.nc)).streams.info('TASKS')).state.last_seq
  // a decides the price at once, but publishes nothing while its relay stands still.
  await waitFor(() => priceIn('a', task) !== undefined, 'a prices the task', 10_000)
  const rounds = (await readyz('b')).following!.rounds
  await waitFor(async () => (await readyz('b')).following!.rounds >= rounds + 2, 'two more rounds of b', 10_000)
  assert.equal(followedTasks(), created - 1, 'b stands just before the task it cannot price')
  assert.equal(priceIn('b', task), undefined, 'b priced nothing itself')
  assert.equal(billing.b!.ctx.outbox.pending(), 0)
  billing.a!.relay.start()
  await waitFor(() => followedTasks() === created, 'b applies the task once a’s price is published', 10_000)
  assert.equal(priceIn('b', task), priceIn('a', task), 'the one price a decided')
})

test('taking over, the standby’s durables start after what it applied, and every assignment has one fee', async () => {
  const applied = followedTasks()
  await billing.a!.stop()
  const jsm = await manager(streams.nc)
  const durable = () => jsm.consumers.info('TASKS', 'billing-b-tasks').catch(() => undefined)
  // Holding the lease, b first reads the tail of BILLING, then places its durables.
  await waitFor(async () => billing.b!.isActive() && (await durable()) !== undefined, 'b takes over and consumes', 15_000)
  const info = (await durable())!
  assert.equal(info.config.opt_start_seq, applied + 1, 'b-tasks starts right after what b applied as a standby')
  assignments.push(...(await work(9)))
  await waitFor(async () => (await fetch(`${billing.b!.url}/readyz?max_lag=0`)).ok, 'b caught up', 20_000)
  await billing.b!.relay.flushed()
  assert.deepEqual(await feesByCause(assignments), assignments.map(() => 1), 'one fee per assignment, before and after the takeover')
  const ledger = billing.b!.ctx.store.prepare('SELECT account_id, sum(credit) - sum(debit) AS balance FROM entries GROUP BY account_id ORDER BY account_id').all() as Array<{ account_id: string; balance: number }>
  assert.deepEqual(balances('b'), ledger.map((b) => `${b.account_id} ${b.balance}`), 'each balance is what its entries add up to')
})
