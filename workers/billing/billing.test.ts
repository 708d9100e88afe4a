// billing through real HTTP, a real nats-server and its SQLite file; accounts.* and tasks.*
// arrive on their streams the way auth and tasks publish them.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { EventData, EventName } from '../../contracts/registry.ts'
import type { Role } from '../runtime/auth.ts'
import { silentLogger } from '../runtime/log.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import type { DB } from './store.ts'

const dir = tempDir()
let nats: NatsFixture
let streams: TestStreams
let issuer: TestIssuer
let billing: RunningWorker<DB>
const tokens: Record<string, string> = {}
const ids: Record<string, string> = {}

// Every reading of the clock is a new millisecond, so a row and its event stamped by two
// readings cannot pass for one moment (the rebuild below compares them).
let tick = Date.now()
const clock = { now: () => new Date(tick++), newId: randomUUID }

async function start() {
  billing = await runWorker(definition(clock), { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dir.path, ATES_BILLING_PORT: '0', ATES_AUTH_URL: issuer.url }, {
    log: silentLogger,
    consumer: { backoffMs: () => 30 },
  })
}

const publish = <N extends EventName>(name: N, data: EventData<N>) => streams.publish(name, data)

async function account(name: string, role: Role) {
  ids[name] = randomUUID()
  tokens[name] = await issuer.token({ id: ids[name], role, name })
  await publish('accounts.created', { account_id: ids[name], name, email: `${name}@ates.test`, role, active: true })
}

const at = () => new Date().toISOString()
const created = (task: string, assignee: string) => publish('tasks.created', { task_id: task, title: `Task ${task.slice(0, 4)}`, jira_id: 'UBERPOP-1', description: 'd', assignee_id: ids[assignee]!, created_at: at() })
const assigned = (task: string, assignee: string, previous: string | null = null) => publish('tasks.assigned', { task_id: task, assignee_id: ids[assignee]!, previous_assignee_id: previous ? ids[previous]! : null, assigned_at: at() })
const completed = (task: string, assignee: string) => publish('tasks.completed', { task_id: task, assignee_id: ids[assignee]!, completed_at: at() })

async function get(path: string, who: string) {
  const response = await fetch(`${billing.url}${path}`, { headers: { authorization: `Bearer ${tokens[who]}` } })
  return { status: response.status, body: (await response.json()) as Record<string, never> }
}

const settled = () => waitFor(async () => (await fetch(`${billing.url}/readyz?max_lag=0`)).ok, 'billing caught up', 20_000)

async function prices(): Promise<Map<string, { assign_fee: number; completion_reward: number }>> {
  await billing.relay.flushed()
  const events = await streams.events('BILLING', 'billing.task_priced.>')
  return new Map(events.map((e) => e.data as EventData<'billing.task_priced'>).map((d) => [d.task_id, d]))
}

before(async () => {
  nats = await startNats()
  streams = await connectTestStreams(nats.url)
  issuer = await startTestIssuer()
  await start()
  await account('boss', 'admin')
  await account('arno', 'accountant')
  await account('pip', 'popug')
  await account('kesha', 'popug')
})

after(async () => {
  await billing.stop()
  await issuer.stop()
  await streams.close()
  await nats.stop()
  dir.remove()
})

const [t1, t2, t3] = [randomUUID(), randomUUID(), randomUUID()]

test('assignments debit the fee, completions credit the reward; earnings = fees − rewards', async () => {
  await created(t1, 'pip')
  await assigned(t1, 'pip')
  await created(t2, 'kesha')
  await assigned(t2, 'kesha')
  await assigned(t1, 'kesha', 'pip') // reassigned
  await completed(t1, 'kesha')
  await settled()
  const price = await prices()
  const [p1, p2] = [price.get(t1)!, price.get(t2)!]
  for (const p of [p1, p2]) {
    assert.ok(p.assign_fee >= 1000 && p.assign_fee <= 2000 && p.assign_fee % 100 === 0)
    assert.ok(p.completion_reward >= 2000 && p.completion_reward <= 4000 && p.completion_reward % 100 === 0)
  }
  const pip = (await get('/api/accounts/me', 'pip')).body
  assert.equal(pip.balance, -p1.assign_fee)
  const kesha = (await get('/api/accounts/me', 'kesha')).body as unknown as { balance: number; earned: number; entries: Array<{ kind: string; debit: number; credit: number; task: { title: string; jira_id: string } }> }
  assert.equal(kesha.balance, -p2.assign_fee - p1.assign_fee + p1.completion_reward)
  assert.equal(kesha.earned, kesha.balance)
  assert.deepEqual(kesha.entries.map((e) => [e.kind, e.debit, e.credit]), [
    ['assign_fee', p2.assign_fee, 0],
    ['assign_fee', p1.assign_fee, 0],
    ['completion_reward', 0, p1.completion_reward],
  ])
  assert.equal(kesha.entries[2]!.task.jira_id, 'UBERPOP-1')
  const earnings = (await get('/api/management/earnings', 'arno')).body as unknown as { days: Array<{ management_earnings: number }> }
  assert.equal(earnings.days.at(-1)!.management_earnings, 2 * p1.assign_fee + p2.assign_fee - p1.completion_reward)
})

test('out-of-order events: an assignment before its task and account are known is not lost', async () => {
  ids.late = randomUUID()
  tokens.late = await issuer.token({ id: ids.late, role: 'popug', name: 'late' })
  await assigned(t3, 'late') // neither the task nor the account exist yet
  await settled()
  const price = (await prices()).get(t3)!
  const day = (await get('/api/accounts/me', 'late')).body
  assert.equal(day.balance, -price.assign_fee)
  assert.equal(day.name, null, 'the account is not known yet')
  assert.deepEqual((await get('/api/accounts/me', 'late')).body, day, 'asked again: the answer kept')
  await publish('accounts.created', { account_id: ids.late, name: 'late', email: 'late@ates.test', role: 'popug', active: true })
  await created(t3, 'late')
  await settled()
  assert.equal((await get('/api/accounts/me', 'late')).body.name, 'late', 'the kept answer is gone once the account is written')
  assert.equal((await prices()).get(t3)!.assign_fee, price.assign_fee, 'the price never changes')
  const list = (await get('/api/accounts', 'boss')).body as unknown as { accounts: Array<{ name: string; balance: number }> }
  assert.equal(list.accounts.find((a) => a.name === 'late')!.balance, -price.assign_fee)
})

test('roles: a popug sees only their own account; accountants and admins see all', async () => {
  assert.equal((await get(`/api/accounts/${ids.kesha}`, 'pip')).status, 403)
  assert.equal((await get('/api/accounts', 'pip')).status, 403)
  assert.equal((await get('/api/management/earnings', 'pip')).status, 403)
  assert.equal((await get(`/api/accounts/${ids.kesha}`, 'arno')).status, 200)
  assert.equal((await get(`/api/accounts/${ids.pip}`, 'pip')).status, 200)
  assert.equal((await get('/api/accounts/me?day=yesterday', 'pip')).status, 422)
  assert.equal((await get('/api/management/earnings?from=2020-01-01&to=2026-01-01', 'arno')).status, 422)
})

test('a close pays positive balances, keeps negatives, shows the payout; a repeat is a no-op', async () => {
  const day = String((await get('/api/accounts/me', 'kesha')).body.business_day)
  // Make kesha positive: complete t2 (reward ≥ $20 ≥ fee).
  await completed(t2, 'kesha')
  await settled()
  const before = (await get('/api/accounts', 'boss')).body as unknown as { accounts: Array<{ account_id: string; balance: number }> }
  const positive = before.accounts.filter((a) => a.balance > 0)
  await publish('billing.day_close_requested', { business_day: day })
  await publish('billing.day_close_requested', { business_day: day })
  await settled()
  const after = (await get('/api/accounts', 'boss')).body as unknown as { business_day: string; accounts: Array<{ account_id: string; balance: number }> }
  assert.notEqual(after.business_day, day, 'the next day is open')
  for (const a of after.accounts) {
    const was = before.accounts.find((b) => b.account_id === a.account_id)!.balance
    assert.equal(a.balance, was > 0 ? 0 : was)
  }
  const audit = (await get(`/api/accounts/me?day=${day}`, 'kesha')).body as unknown as { entries: Array<{ kind: string; debit: number }> }
  const payout = audit.entries.filter((e) => e.kind === 'payout')
  assert.equal(payout.length, 1)
  assert.equal(payout[0]!.debit, positive.find((p) => p.account_id === ids.kesha)!.balance)
  await billing.relay.flushed()
  const stream = await streams.read('BILLING')
  const closed = stream.filter((m) => m.subject.startsWith('billing.day_closed')).map((m) => JSON.parse(m.data).data as EventData<'billing.day_closed'>)
  assert.equal(closed.length, 1, 'one close for two requests')
  assert.equal(closed[0]!.accounts_paid, positive.length)
  assert.equal(closed[0]!.total_paid, positive.reduce((s, p) => s + p.balance, 0))
  assert.equal(stream.filter((m) => m.subject.startsWith('billing.payout_made')).length, positive.length)
})

test('rebuilt from an empty database, billing has identical prices, balances and entries', async () => {
  const snapshot = () => {
    const s = billing.ctx.store
    return {
      tasks: s.prepare('SELECT task_id, assign_fee, completion_reward, title FROM tasks ORDER BY task_id').all(),
      entries: s.prepare('SELECT transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at FROM entries ORDER BY transaction_id').all(),
      balances: s.prepare('SELECT * FROM balances ORDER BY account_id').all(),
      days: s.prepare('SELECT * FROM days ORDER BY business_day').all(),
      // The restore drops the ledger's read indexes while it loads and builds them again.
      indexes: s.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' ORDER BY name").all(),
    }
  }
  await settled()
  await billing.relay.flushed()
  const before = snapshot()
  const eventsBefore = await streams.jsm.streams.info('BILLING')
  await billing.stop()
  rmSync(join(dir.path, 'billing.sqlite'))
  await streams.deleteDurables('billing')
  await start()
  await settled()
  await billing.relay.flushed()
  assert.deepEqual(snapshot(), before)
  assert.equal((await streams.jsm.streams.info('BILLING')).state.messages, eventsBefore.state.messages, 'nothing new was emitted')
})
