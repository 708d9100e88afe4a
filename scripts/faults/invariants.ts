// The money invariants of SPEC §5, as a pure function over what the streams and the public
// APIs show: every event paid for exactly once, balances that are the sum of their ledger,
// payouts of exactly the positive balances, and the same figures in billing and analytics.
import type { EventData, EventName } from '../../contracts/registry.ts'
import { derivedIds as ids } from '../../contracts/derived-ids.ts'
import { FEE_DOLLARS as FEE, REWARD_DOLLARS as REWARD } from '../../contracts/money.ts'
import { ledgerChains, type Entry } from './chains.ts'

/** One event as read from its stream (upcast to the latest version), in stream order. */
export type Recorded<N extends EventName = EventName> = { [K in N]: { event_id: string; name: K; data: EventData<K> } }[N]

export type ApiEntry = { transaction_id: string; kind: string; debit: number; credit: number; balance_after: number }

export type Evidence = {
  /** TASKS, decoded, in stream order (republished duplicates included). */
  tasks: Recorded[]
  /** BILLING, decoded, in stream order. */
  billing: Recorded[]
  /** billing's GET /api/accounts. */
  balances: Array<{ account_id: string; balance: number }>
  /** billing's GET /api/accounts/:id?day= for every account and day that has entries. */
  accountDays: Array<{ account_id: string; business_day: string; earned: number; entries: ApiEntry[] }>
  /** billing's GET /api/management/earnings over every day with entries. */
  billingEarnings: Array<{ business_day: string; management_earnings: number }>
  billingOpenDay: string
  /** analytics' GET /api/analytics/days over the same days, and /today. */
  analyticsDays: Array<{ business_day: string; management_earnings: number; accounts_negative: number | null }>
  analyticsToday: { business_day: string; management_earnings: number; accounts_negative: number }
  /** What HTTP confirmed to the load: tasks answered 201 and completions answered 200. */
  acknowledged?: { created: readonly string[]; completed: readonly string[] }
}

export type Report = {
  counts: { accounts: number; tasks: number; assignments: number; completions: number; entries: number; payouts: number; closedDays: number; cents: number }
  differences: string[]
}

const short = (id: string | null) => (id ? id.slice(0, 8) : 'null')

/** Events of one name, once per event_id; a second copy with other data is a difference. */
function unique<N extends EventName>(events: readonly Recorded[], name: N, differences: string[]): Array<Recorded<N>> {
  const seen = new Map<string, string>()
  const out: Array<Recorded<N>> = []
  for (const event of events) {
    if (event.name !== name) continue
    const body = JSON.stringify(event.data)
    const before = seen.get(event.event_id)
    if (before === undefined) {
      seen.set(event.event_id, body)
      out.push(event as Recorded<N>)
    } else if (before !== body) {
      differences.push(`${name} ${short(event.event_id)} appears twice in its stream with different data`)
    }
  }
  return out
}

export function checkInvariants(evidence: Evidence): Report {
  const differences: string[] = []
  const created = unique(evidence.tasks, 'tasks.created', differences)
  const assigned = unique(evidence.tasks, 'tasks.assigned', differences)
  const completed = unique(evidence.tasks, 'tasks.completed', differences)
  const priced = unique(evidence.billing, 'billing.task_priced', differences)
  const applied = unique(evidence.billing, 'billing.transaction_applied', differences)
  const paid = unique(evidence.billing, 'billing.payout_made', differences)
  const closed = unique(evidence.billing, 'billing.day_closed', differences)

  const tasks = new Set(created.map((e) => e.data.task_id))
  if (tasks.size !== created.length) differences.push(`${created.length - tasks.size} tasks were created more than once`)

  const prices = new Map<string, EventData<'billing.task_priced'>>()
  for (const { data } of priced) {
    const known = prices.get(data.task_id)
    if (known && (known.assign_fee !== data.assign_fee || known.completion_reward !== data.completion_reward)) {
      differences.push(`task ${short(data.task_id)} was priced twice with different amounts`)
    }
    prices.set(data.task_id, data)
    if (!inDollars(data.assign_fee, FEE) || !inDollars(data.completion_reward, REWARD)) {
      differences.push(`task ${short(data.task_id)} has a price outside the rules: fee ${data.assign_fee}, reward ${data.completion_reward}`)
    }
  }
  for (const task of tasks) if (!prices.has(task)) differences.push(`task ${short(task)} was created but never priced`)

  const entries = new Map<string, Entry>()
  for (const { data } of applied) {
    if (entries.has(data.transaction_id)) differences.push(`transaction ${short(data.transaction_id)} was applied twice under different event ids`)
    entries.set(data.transaction_id, data)
  }

  // Every assignment and completion has exactly one entry of its task's price, and nothing else does.
  const explained = new Set<string>()
  const expect = (kind: 'assign_fee' | 'completion_reward', eventId: string, transactionId: string, task: string, account: string) => {
    const what = `${kind === 'assign_fee' ? 'tasks.assigned' : 'tasks.completed'} ${short(eventId)} (task ${short(task)}, account ${short(account)})`
    const entry = entries.get(transactionId)
    explained.add(transactionId)
    if (!entry) return differences.push(`${what} has no ${kind} entry`)
    const price = prices.get(task)
    const amount = kind === 'assign_fee' ? price?.assign_fee : price?.completion_reward
    const [debit, credit] = kind === 'assign_fee' ? [amount, 0] : [0, amount]
    if (entry.kind !== kind || entry.account_id !== account || entry.task_id !== task || entry.debit !== debit || entry.credit !== credit) {
      differences.push(`${what}: expected ${kind} of ${amount} cents, the ledger has ${entry.kind} debit ${entry.debit} credit ${entry.credit} on ${short(entry.account_id)}`)
    }
  }
  for (const e of assigned) expect('assign_fee', e.event_id, ids.fee(e.event_id), e.data.task_id, e.data.assignee_id)
  for (const e of completed) expect('completion_reward', e.event_id, ids.reward(e.event_id), e.data.task_id, e.data.assignee_id)
  const completionsPerTask = new Map<string, number>()
  for (const e of completed) completionsPerTask.set(e.data.task_id, (completionsPerTask.get(e.data.task_id) ?? 0) + 1)
  for (const [task, n] of completionsPerTask) if (n > 1) differences.push(`task ${short(task)} was completed ${n} times`)
  for (const entry of entries.values()) {
    if (entry.kind !== 'payout' && !explained.has(entry.transaction_id)) {
      differences.push(`${entry.kind} ${short(entry.transaction_id)} on ${short(entry.account_id)} has no task event that caused it`)
    }
  }

  // Balances: running sums per account, the API's balance, and the closes.
  const chains = ledgerChains([...entries.values()], differences)
  checkBalances(evidence, chains, differences)
  checkCloses(chains, closed, paid, entries, differences)
  checkDays(evidence, [...entries.values()], closed, differences)
  checkAccountDays(evidence, [...entries.values()], differences)

  if (evidence.acknowledged) {
    const assignedTasks = new Set(assigned.map((e) => e.data.task_id))
    const completedTasks = new Set(completed.map((e) => e.data.task_id))
    for (const task of evidence.acknowledged.created) {
      if (!tasks.has(task) || !assignedTasks.has(task)) differences.push(`task ${short(task)} was answered 201 but its events are missing`)
    }
    for (const task of evidence.acknowledged.completed) {
      if (!completedTasks.has(task)) differences.push(`task ${short(task)} was answered completed but tasks.completed is missing`)
    }
  }

  const all = [...entries.values()]
  return {
    counts: {
      accounts: new Set([...all.map((e) => e.account_id), ...evidence.balances.map((b) => b.account_id)]).size,
      tasks: tasks.size,
      assignments: assigned.length,
      completions: completed.length,
      entries: all.length,
      payouts: all.filter((e) => e.kind === 'payout').length,
      closedDays: closed.length,
      cents: all.reduce((sum, e) => sum + e.debit + e.credit, 0),
    },
    differences,
  }
}

function inDollars(cents: number, range: { min: number; max: number }): boolean {
  return Number.isInteger(cents) && cents % 100 === 0 && cents >= range.min * 100 && cents <= range.max * 100
}

function checkBalances(evidence: Evidence, chains: Map<string, Entry[]>, differences: string[]): void {
  const api = new Map(evidence.balances.map((b) => [b.account_id, b.balance]))
  for (const [account, chain] of chains) {
    const sum = chain.reduce((s, e) => s + e.credit - e.debit, 0)
    const shown = api.get(account)
    if (shown === undefined) differences.push(`account ${short(account)} has ledger entries but billing's API does not list it`)
    else if (shown !== sum) differences.push(`account ${short(account)}: billing shows ${shown} cents, its ledger sums to ${sum}`)
  }
  for (const [account, balance] of api) {
    if (!chains.has(account) && balance !== 0) differences.push(`account ${short(account)} shows ${balance} cents without any ledger entry`)
  }
  const negative = evidence.balances.filter((b) => b.balance < 0).length
  if (evidence.analyticsToday.accounts_negative !== negative) {
    differences.push(`analytics counts ${evidence.analyticsToday.accounts_negative} accounts below zero, billing ${negative}`)
  }
  if (evidence.analyticsToday.business_day !== evidence.billingOpenDay) {
    differences.push(`analytics says today is ${evidence.analyticsToday.business_day}, billing's open day is ${evidence.billingOpenDay}`)
  }
}

/** At each close every positive balance is paid in full and left at zero; nothing else is touched. */
function checkCloses(
  chains: Map<string, Entry[]>,
  closed: Array<Recorded<'billing.day_closed'>>,
  paid: Array<Recorded<'billing.payout_made'>>,
  entries: Map<string, Entry>,
  differences: string[],
): void {
  const payoutMade = new Map(paid.map((e) => [e.data.transaction_id, e.data]))
  for (const entry of entries.values()) {
    if (entry.kind !== 'payout') continue
    const made = payoutMade.get(entry.transaction_id)
    if (!made || made.amount !== entry.debit || made.account_id !== entry.account_id || made.business_day !== entry.business_day) {
      differences.push(`payout ${short(entry.transaction_id)} of ${entry.debit} cents has no matching billing.payout_made`)
    }
    if (entry.credit !== 0 || entry.task_id !== null || entry.balance_after !== 0) {
      differences.push(`payout ${short(entry.transaction_id)} on ${short(entry.account_id)} did not leave the balance at zero (${entry.balance_after})`)
    }
  }
  for (const made of payoutMade.keys()) if (!entries.has(made)) differences.push(`billing.payout_made ${short(made)} has no payout entry`)
  const closedDays = new Set(closed.map((e) => e.data.business_day))
  for (const entry of entries.values()) {
    if (entry.kind === 'payout' && !closedDays.has(entry.business_day)) differences.push(`payout ${short(entry.transaction_id)} of ${entry.business_day}, a day that never closed`)
  }

  for (const { data: day } of closed) {
    let negative = 0
    let count = 0
    let total = 0
    for (const [account, chain] of chains) {
      const upToClose = chain.filter((e) => e.business_day <= day.business_day)
      const last = upToClose.at(-1)
      const payoutAt = upToClose.findIndex((e) => e.kind === 'payout' && e.business_day === day.business_day)
      if (payoutAt >= 0) {
        count += 1
        total += upToClose[payoutAt]!.debit
        const before = payoutAt === 0 ? 0 : upToClose[payoutAt - 1]!.balance_after
        if (before <= 0 || upToClose[payoutAt]!.debit !== before) {
          differences.push(`close of ${day.business_day}: account ${short(account)} was paid ${upToClose[payoutAt]!.debit} cents with a balance of ${before}`)
        }
        if (payoutAt !== upToClose.length - 1) differences.push(`close of ${day.business_day}: account ${short(account)} has entries of that day after its payout`)
      } else if (last && last.balance_after > 0) {
        differences.push(`close of ${day.business_day}: account ${short(account)} kept a positive balance of ${last.balance_after} cents unpaid`)
      }
      if (payoutAt < 0 && last && last.balance_after < 0) negative += 1
    }
    if (day.accounts_paid !== count || day.total_paid !== total) {
      differences.push(`close of ${day.business_day} reports ${day.accounts_paid} payouts of ${day.total_paid} cents, the ledger has ${count} of ${total}`)
    }
    if (day.accounts_negative !== negative) {
      differences.push(`close of ${day.business_day} reports ${day.accounts_negative} accounts below zero, the ledger ${negative}`)
    }
  }
}

/** Per day: the ledger's fees − rewards = billing's earnings API = analytics = the close summary. */
function checkDays(evidence: Evidence, entries: Entry[], closed: Array<Recorded<'billing.day_closed'>>, differences: string[]): void {
  const ledger = new Map<string, number>()
  for (const e of entries) {
    const delta = e.kind === 'assign_fee' ? e.debit : e.kind === 'completion_reward' ? -e.credit : 0
    ledger.set(e.business_day, (ledger.get(e.business_day) ?? 0) + delta)
  }
  const billing = new Map(evidence.billingEarnings.map((d) => [d.business_day, d.management_earnings]))
  const analytics = new Map(evidence.analyticsDays.map((d) => [d.business_day, d]))
  const closedDays = new Map(closed.map((e) => [e.data.business_day, e.data]))
  const days = new Set([...ledger.keys(), ...billing.keys(), ...analytics.keys()])
  for (const day of [...days].sort()) {
    const expected = ledger.get(day) ?? 0
    const shown = { billing: billing.get(day), analytics: analytics.get(day)?.management_earnings, close: closedDays.get(day)?.management_earnings }
    for (const [who, value] of Object.entries(shown)) {
      if (value !== undefined && value !== expected) differences.push(`${day}: ${who} shows management earnings of ${value} cents, the ledger ${expected}`)
    }
    if (shown.billing === undefined) differences.push(`${day}: billing's earnings API does not show the day`)
    if (shown.analytics === undefined) differences.push(`${day}: analytics does not show the day`)
    const negative = analytics.get(day)?.accounts_negative
    const atClose = closedDays.get(day)?.accounts_negative
    if (negative !== undefined && negative !== (atClose ?? null)) {
      differences.push(`${day}: analytics counts ${negative} accounts below zero at close, billing's close ${atClose ?? 'none'}`)
    }
  }
  if (evidence.analyticsToday.management_earnings !== (ledger.get(evidence.billingOpenDay) ?? 0)) {
    differences.push(`analytics shows ${evidence.analyticsToday.management_earnings} cents earned today, the ledger ${ledger.get(evidence.billingOpenDay) ?? 0}`)
  }
}

/** What billing's account pages list per day is what it published, and earned adds up. */
function checkAccountDays(evidence: Evidence, entries: Entry[], differences: string[]): void {
  const published = new Map<string, Entry[]>()
  for (const e of entries) {
    const key = `${e.account_id}/${e.business_day}`
    published.set(key, [...(published.get(key) ?? []), e])
  }
  const shown = new Set<string>()
  for (const page of evidence.accountDays) {
    const key = `${page.account_id}/${page.business_day}`
    shown.add(key)
    const expected = published.get(key) ?? []
    const render = (list: ReadonlyArray<ApiEntry>) =>
      list.map((e) => `${e.transaction_id}:${e.kind}:${e.debit}:${e.credit}:${e.balance_after}`).sort().join(',')
    if (render(page.entries) !== render(expected)) {
      differences.push(`account ${short(page.account_id)} on ${page.business_day}: billing lists ${page.entries.length} entries, the stream has ${expected.length} (or their amounts differ)`)
    }
    const earned = expected.filter((e) => e.kind !== 'payout').reduce((s, e) => s + e.credit - e.debit, 0)
    if (page.earned !== earned) differences.push(`account ${short(page.account_id)} on ${page.business_day}: billing shows earned ${page.earned}, the ledger ${earned}`)
  }
  for (const key of published.keys()) if (!shown.has(key)) differences.push(`account/day ${key} has entries that were not looked at`)
}
