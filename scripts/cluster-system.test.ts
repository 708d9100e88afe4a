// All five workers, each as its own process with its own NATS user, on the three-node
// cluster with replicated streams. Tasks are created, completed and reshuffled through the
// HTTP API while the node leading the TASKS stream is SIGKILLed; with it down the system
// still creates, bills and closes a business day (a write that finds its worker reconnecting is
// answered 503, nothing changed, and is sent again); the node comes back and rejoins. Then
// every assignment carries exactly one fee of its task's price, every completion exactly
// one reward, and every balance is its credits minus its debits.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import { derivedIds as ids } from '../contracts/derived-ids.ts'
import { WORKERS } from '../workers/runtime/config.ts'
import { manager, STREAMS, type StreamName } from '../workers/runtime/nats.ts'
import { waitFor } from '../workers/runtime/testing/helpers.ts'
import { readStream } from '../workers/runtime/testing/streams.ts'
import { ADMIN, allPages, api, login, startSystem, type System } from '../workers/runtime/testing/system.ts'
import { startCluster, type TestCluster } from './testing/cluster.ts'

const TASKS_PER_ROUND = 100
const POPUGS = 5

type Person = { id: string; token: string }
type Entry = {
  transaction_id: string
  kind: string
  debit: number
  credit: number
  balance_after: number
  business_day: string
  task: { task_id: string } | null
}
type Envelope = { event_id: string; event_name: string; data: Record<string, unknown> }

let cluster: TestCluster
let system: System<undefined>

before(async () => {
  cluster = await startCluster()
  const users = Object.fromEntries(WORKERS.map((w) => [w, { user: w, pass: cluster.passwords[w] }]))
  system = await startSystem({ external: { servers: cluster.urls, users, replicas: 3 } })
})

after(async () => {
  await system?.stop()
  await cluster?.stop()
})

async function person(admin: string, role: string, n: number): Promise<Person> {
  const email = `${role}${n}@ates.test`
  const beak = `${role}-beak-${n}`
  const created = await api(`${system.urls.auth}/api/accounts`, admin, { body: { name: `${role} ${n}`, email, role, beak } })
  assert.equal(created.status, 201, JSON.stringify(created.body))
  const token = await login(system.urls.auth, email, beak)
  return { id: (created.body as { account_id: string }).account_id, token }
}

/**
 * A write retried while the worker answers 503 `unavailable`: nothing was changed, and it may
 * be tried again shortly (the worker is reconnecting to a node that is still up). A 504
 * `unconfirmed` is not retried: the change is saved (its answer is in the details) and its
 * events are sent once the new leader answers; the checks below find each applied once.
 */
async function accepted<T>(call: () => Promise<{ status: number; body: T }>): Promise<{ status: number; body: T }> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const answer = await call()
    if (answer.status !== 503 || Date.now() > deadline) return answer
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** A 504's body: saved, not yet confirmed, with the answer the write would have had. */
type Unconfirmed<T> = { error?: { code: 'unconfirmed'; details: { saved: T } } }

/** Every worker quiet (system.settled), or a failure that also says how the cluster's streams stand. */
async function settled(timeoutMs: number): Promise<void> {
  await system.settled(timeoutMs).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; the streams: ${await cluster.describe().catch((e: unknown) => `no answer (${(e as Error).message})`)}`)
  })
}

/** Runs fn over items, a few at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!)
  }))
}

test('on the cluster, with a node killed and restarted: every fee and reward applied exactly once', async (t) => {
  const { urls } = system
  const admin = await login(urls.auth, ADMIN.email, ADMIN.beak)
  const managerToken = (await person(admin, 'manager', 1)).token
  const accountant = await person(admin, 'accountant', 1)
  const popugs: Person[] = []
  for (let n = 1; n <= POPUGS; n++) popugs.push(await person(admin, 'popug', n))
  const assignees = [...popugs, accountant]
  await settled(120_000) // tasks knows every assignee

  const created: string[] = []
  const createTasks = async (round: number) => {
    const numbers = Array.from({ length: TASKS_PER_ROUND }, (_, i) => i)
    await pool(numbers, 4, async (i) => {
      const author = popugs[i % popugs.length]!
      const response = await accepted(() => api<{ task_id: string } & Unconfirmed<{ task_id: string }>>(`${urls.tasks}/api/tasks`, author.token, { body: { title: `Chore ${round}.${i}` } }))
      assert.ok(response.status === 201 || response.status === 504, JSON.stringify(response.body))
      created.push(response.status === 201 ? response.body.task_id : response.body.error!.details.saved.task_id)
    })
  }
  const completeEverySecond = async () => {
    await pool(assignees, 2, async (who) => {
      const open = await api<{ tasks: Array<{ task_id: string }> }>(`${urls.tasks}/api/tasks?assignee=me&status=open&limit=200`, who.token)
      for (const [i, task] of open.body.tasks.entries()) {
        if (i % 2) continue
        const done = await accepted(() => api(`${urls.tasks}/api/tasks/${task.task_id}/complete`, who.token, { method: 'POST' }))
        assert.ok(done.status === 200 || done.status === 504, JSON.stringify(done.body))
      }
    })
  }
  const reassign = async () => {
    const response = await accepted(() => api<{ reassigned: number }>(`${urls.tasks}/api/tasks/reassign`, managerToken, { method: 'POST' }))
    assert.ok(response.status === 200 || response.status === 504, JSON.stringify(response.body))
  }
  const round = async (n: number) => {
    await createTasks(n)
    await completeEverySecond()
    await reassign()
    await completeEverySecond()
  }

  await round(1)
  const victim = await cluster.leaderOf('TASKS')
  await cluster.node(victim).kill()
  t.diagnostic(`node ${victim} (leader of TASKS) killed after ${created.length} tasks`)

  // One node down: creating, billing and closing go on.
  await round(2)
  await settled(180_000) // the day's work is billed before it closes
  const close = await accepted(() => api<{ business_day: string } & Unconfirmed<{ business_day: string }>>(`${urls.close}/api/closes`, admin, { method: 'POST' }))
  assert.ok(close.status === 202 || close.status === 504, JSON.stringify(close.body))
  const closedDay = close.status === 202 ? close.body.business_day : close.body.error!.details.saved.business_day
  await settled(180_000)
  const billingDay = async () => (await api<{ business_day: string }>(`${urls.billing}/api/accounts`, accountant.token)).body.business_day
  await waitFor(async () => (await billingDay()) > closedDay, `billing to close ${closedDay} with node ${victim} down`, 60_000)

  await cluster.node(victim).start()
  t.diagnostic(`${closedDay} closed with node ${victim} down; node ${victim} restarted after ${created.length} tasks`)
  await round(3)
  await settled(180_000)
  await cluster.replicasCurrent(Object.keys(STREAMS) as StreamName[], 120_000)
  const openDay = await billingDay()

  // What the streams hold, each event once by its id (a republish may be stored twice).
  const ops = await cluster.connect('ops')
  const read = async (stream: StreamName) => {
    const events = new Map<string, Envelope>()
    for (const msg of await readStream(jetstream(ops), await manager(ops), stream)) {
      const event = JSON.parse(msg.data) as Envelope
      events.set(event.event_id, event)
    }
    return [...events.values()]
  }
  const tasks = await read('TASKS')
  const billing = await read('BILLING')
  const named = (events: Envelope[], name: string) => events.filter((e) => e.event_name === name)
  const assigned = named(tasks, 'tasks.assigned')
  const completed = named(tasks, 'tasks.completed')
  assert.deepEqual(new Set(named(tasks, 'tasks.created').map((e) => e.data.task_id)), new Set(created))
  assert.equal(created.length, 3 * TASKS_PER_ROUND)
  assert.ok(assigned.length > created.length, 'reshuffles assigned open tasks again')
  assert.ok(completed.length > 0)

  const prices = new Map<string, { assign_fee: number; completion_reward: number }>()
  for (const priced of named(billing, 'billing.task_priced')) {
    const { task_id, assign_fee, completion_reward } = priced.data as { task_id: string; assign_fee: number; completion_reward: number }
    assert.ok(!prices.has(task_id), `task ${task_id} priced once`)
    assert.ok(assign_fee >= 1000 && assign_fee <= 2000 && assign_fee % 100 === 0, `fee ${assign_fee}`)
    assert.ok(completion_reward >= 2000 && completion_reward <= 4000 && completion_reward % 100 === 0, `reward ${completion_reward}`)
    prices.set(task_id, { assign_fee, completion_reward })
  }
  assert.equal(prices.size, created.length)

  // What billing's API shows: every account's entries, on the closed day and the open one.
  const accounts = await allPages<{ account_id: string; balance: number }>(`${urls.billing}/api/accounts`, accountant.token, 'accounts')
  const entries = new Map<string, Entry & { account_id: string }>()
  const closedDayEntries = new Map<string, Entry[]>()
  for (const account of accounts.items) {
    let credits = 0
    let debits = 0
    for (const day of [closedDay, openDay]) {
      const whole = await allPages<Entry>(`${urls.billing}/api/accounts/${account.account_id}?day=${day}`, accountant.token, 'entries')
      if (day === closedDay) closedDayEntries.set(account.account_id, whole.items)
      for (const entry of whole.items) {
        assert.ok(!entries.has(entry.transaction_id), `transaction ${entry.transaction_id} once`)
        entries.set(entry.transaction_id, { ...entry, account_id: account.account_id })
        credits += entry.credit
        debits += entry.debit
      }
    }
    assert.equal(account.balance, credits - debits, `balance of ${account.account_id} = Σcredits − Σdebits`)
  }

  const expectEntry = (transactionId: string, expected: { account_id: string; kind: string; debit: number; credit: number; task: string }) => {
    const entry = entries.get(transactionId)
    assert.ok(entry, `entry ${transactionId}`)
    const { account_id, kind, debit, credit } = entry
    assert.deepEqual({ account_id, kind, debit, credit, task: entry.task?.task_id }, expected)
  }
  for (const event of assigned) {
    const { task_id, assignee_id } = event.data as { task_id: string; assignee_id: string }
    const fee = prices.get(task_id)!.assign_fee
    expectEntry(ids.fee(event.event_id), { account_id: assignee_id, kind: 'assign_fee', debit: fee, credit: 0, task: task_id })
  }
  for (const event of completed) {
    const { task_id, assignee_id } = event.data as { task_id: string; assignee_id: string }
    const reward = prices.get(task_id)!.completion_reward
    expectEntry(ids.reward(event.event_id), { account_id: assignee_id, kind: 'completion_reward', debit: 0, credit: reward, task: task_id })
  }
  const payouts = [...entries.values()].filter((e) => e.kind === 'payout')
  t.diagnostic(`${created.length} tasks, ${assigned.length} fees, ${completed.length} rewards, ${payouts.length} payouts checked`)
  assert.equal(entries.size, assigned.length + completed.length + payouts.length, 'no entry besides fees, rewards and payouts')

  // The closed day ends with a payout of exactly each positive balance, and leaves the
  // others as they were; the stream reports the same payouts.
  for (const [account, list] of closedDayEntries) {
    const payout = list.find((e) => e.kind === 'payout')
    const before = (payout ? list.at(-2) : list.at(-1))?.balance_after ?? 0
    if (!payout) {
      assert.ok(before <= 0, `${account} had ${before} at the close and no payout`)
      continue
    }
    assert.equal(payout, list.at(-1), `the payout of ${account} closes its day`)
    assert.ok(before > 0)
    assert.deepEqual([payout.debit, payout.credit, payout.balance_after], [before, 0, 0])
  }
  const paid = named(billing, 'billing.payout_made')
  assert.deepEqual(
    paid.map((e) => `${e.data.account_id} ${e.data.amount}`).sort(),
    payouts.map((e) => `${e.account_id} ${e.debit}`).sort(),
  )
  assert.ok(payouts.every((e) => e.business_day === closedDay))
  const closedEvents = named(billing, 'billing.day_closed')
  assert.deepEqual(closedEvents.map((e) => e.data.business_day), [closedDay])
  assert.equal(closedEvents[0]!.data.total_paid, payouts.reduce((sum, e) => sum + e.debit, 0))
  assert.equal(new Set(named(billing, 'billing.transaction_applied').map((e) => e.data.transaction_id)).size, entries.size)

  // Analytics agrees with billing, day by day.
  const fromBilling = await api<{ days: Array<{ business_day: string; management_earnings: number }> }>(
    `${urls.billing}/api/management/earnings?from=${closedDay}&to=${openDay}`, accountant.token)
  const fromAnalytics = await api<{ days: Array<{ business_day: string; management_earnings: number }> }>(
    `${urls.analytics}/api/analytics/days?from=${closedDay}&to=${openDay}`, admin)
  const earnings = (days: Array<{ business_day: string; management_earnings: number }>) => days.map((d) => [d.business_day, d.management_earnings])
  assert.deepEqual(earnings(fromAnalytics.body.days), earnings(fromBilling.body.days))
})
