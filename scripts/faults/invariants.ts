// The money invariants of SPEC §5 over what the streams and the public APIs show, after a
// fault scenario: the streams are judged by the audit's own rules (workers/audit, one pass with
// nothing left to settle: the system was quiet when they were read), and billing's and
// analytics' APIs are held to the same ledger. The audit worker's own answer, when given, must
// be empty too: every scenario also shows that the audit finds nothing when nothing is wrong.
import type { Envelope } from '../../contracts/envelope.ts'
import { amountsOf, managementEarnings } from '../../contracts/money.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { AuditPass } from '../../workers/audit/pass.ts'

export type ApiEntry = { transaction_id: string; kind: string; debit: number; credit: number; balance_after: number }

export type Evidence = {
  /** TASKS, BILLING and ANALYTICS, decoded, in stream order (republished duplicates included). */
  tasks: Envelope[]
  billing: Envelope[]
  analytics: Envelope[]
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
  /** The audit worker's GET /api/differences, once it had judged everything the streams held. */
  audit?: { total: number; pending: number; differences: Array<{ kind: string; message: string }> }
}

export type Report = {
  counts: { accounts: number; tasks: number; assignments: number; completions: number; entries: number; payouts: number; closedDays: number; cents: number }
  differences: string[]
}

type Entry = EventData<'billing.transaction_applied'>

/** Read after the system went quiet: every finding of the streams has settled. */
const EVERYTHING_SETTLED = new Date('9999-12-31T23:59:59.999Z')

const short = (id: string | null) => (id ? id.slice(0, 8) : 'null')

/** Events of one name, once per event_id; a second copy with other data is a difference. */
function unique<N extends EventName>(events: readonly Envelope[], name: N, differences: string[]): Array<Envelope<N>> {
  const seen = new Map<string, string>()
  const out: Array<Envelope<N>> = []
  for (const event of events) {
    if (event.event_name !== name) continue
    const body = JSON.stringify(event.data)
    const before = seen.get(event.event_id)
    if (before === undefined) {
      seen.set(event.event_id, body)
      out.push(event as Envelope<N>)
    } else if (before !== body) {
      differences.push(`${name} ${short(event.event_id)} appears twice in its stream with different data`)
    }
  }
  return out
}

/** The streams judged by the audit's rules, nothing left pending. */
function audited(evidence: Evidence): string[] {
  const pass = new AuditPass({ inMemory: true })
  try {
    for (const events of [evidence.tasks, evidence.billing, evidence.analytics]) {
      for (let i = 0; i < events.length; i += 1000) pass.take(events.slice(i, i + 1000))
    }
    return pass.judge(EVERYTHING_SETTLED, 0).differences.map((d) => `${d.kind}: ${d.message}`)
  } finally {
    pass.close()
  }
}

export function checkInvariants(evidence: Evidence): Report {
  const differences: string[] = []
  const created = unique(evidence.tasks, 'tasks.created', differences)
  const assigned = unique(evidence.tasks, 'tasks.assigned', differences)
  const completed = unique(evidence.tasks, 'tasks.completed', differences)
  for (const name of ['billing.task_priced', 'billing.payout_made', 'billing.day_close_requested', 'billing.day_opened', 'billing.day_close_refused'] as const) unique(evidence.billing, name, differences)
  unique(evidence.analytics, 'analytics.day_figures', differences)
  const applied = unique(evidence.billing, 'billing.transaction_applied', differences)
  const closed = unique(evidence.billing, 'billing.day_closed', differences)

  differences.push(...audited(evidence))

  // The ledger as the stream has it, each transaction once (the audit reports one applied twice).
  const entries = [...new Map(applied.map((e) => [e.data.transaction_id, e.data])).values()]
  checkBalances(evidence, entries, differences)
  checkDays(evidence, entries, differences)
  checkAccountDays(evidence, entries, differences)

  const tasks = new Set(created.map((e) => e.data.task_id))
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
  if (evidence.audit) {
    for (const d of evidence.audit.differences) differences.push(`the audit worker reports ${d.kind}: ${d.message}`)
    if (evidence.audit.total > evidence.audit.differences.length) differences.push(`the audit worker reports ${evidence.audit.total} differences`)
    if (evidence.audit.pending > 0) differences.push(`the audit worker has ${evidence.audit.pending} findings pending in a quiet system`)
  }

  return {
    counts: {
      accounts: new Set([...entries.map((e) => e.account_id), ...evidence.balances.map((b) => b.account_id)]).size,
      tasks: tasks.size,
      assignments: assigned.length,
      completions: completed.length,
      entries: entries.length,
      payouts: entries.filter((e) => e.kind === 'payout').length,
      closedDays: closed.length,
      cents: entries.reduce((sum, e) => sum + e.debit + e.credit, 0),
    },
    differences,
  }
}

/** billing's balances are the sums of the ledger; analytics counts the same accounts below zero. */
function checkBalances(evidence: Evidence, entries: readonly Entry[], differences: string[]): void {
  const sums = new Map<string, number>()
  for (const e of entries) sums.set(e.account_id, (sums.get(e.account_id) ?? 0) + e.credit - e.debit)
  const api = new Map(evidence.balances.map((b) => [b.account_id, b.balance]))
  for (const [account, sum] of sums) {
    const shown = api.get(account)
    if (shown === undefined) differences.push(`account ${short(account)} has ledger entries but billing's API does not list it`)
    else if (shown !== sum) differences.push(`account ${short(account)}: billing shows ${shown} cents, its ledger sums to ${sum}`)
  }
  for (const [account, balance] of api) {
    if (!sums.has(account) && balance !== 0) differences.push(`account ${short(account)} shows ${balance} cents without any ledger entry`)
  }
  const negative = evidence.balances.filter((b) => b.balance < 0).length
  if (evidence.analyticsToday.accounts_negative !== negative) {
    differences.push(`analytics counts ${evidence.analyticsToday.accounts_negative} accounts below zero, billing ${negative}`)
  }
  if (evidence.analyticsToday.business_day !== evidence.billingOpenDay) {
    differences.push(`analytics says today is ${evidence.analyticsToday.business_day}, billing's open day is ${evidence.billingOpenDay}`)
  }
}

/** Per day: the ledger's fees − rewards = billing's earnings API = analytics' API; analytics shows the close's count below zero. */
function checkDays(evidence: Evidence, entries: readonly Entry[], differences: string[]): void {
  const ledger = new Map<string, number>()
  for (const e of entries) ledger.set(e.business_day, (ledger.get(e.business_day) ?? 0) + managementEarnings(amountsOf(e)))
  const billing = new Map(evidence.billingEarnings.map((d) => [d.business_day, d.management_earnings]))
  const analytics = new Map(evidence.analyticsDays.map((d) => [d.business_day, d]))
  const closes = new Map(evidence.billing.flatMap((e) => (e.event_name === 'billing.day_closed' ? [[(e as Envelope<'billing.day_closed'>).data.business_day, (e as Envelope<'billing.day_closed'>).data]] : [])))
  const days = new Set([...ledger.keys(), ...billing.keys(), ...analytics.keys()])
  for (const day of [...days].sort()) {
    const expected = ledger.get(day) ?? 0
    const shown = { billing: billing.get(day), analytics: analytics.get(day)?.management_earnings }
    for (const [who, value] of Object.entries(shown)) {
      if (value !== undefined && value !== expected) differences.push(`${day}: ${who}'s API shows management earnings of ${value} cents, the ledger ${expected}`)
    }
    if (shown.billing === undefined) differences.push(`${day}: billing's earnings API does not show the day`)
    if (shown.analytics === undefined) differences.push(`${day}: analytics does not show the day`)
    const negative = analytics.get(day)?.accounts_negative
    const atClose = closes.get(day)?.accounts_negative
    if (negative !== undefined && negative !== (atClose ?? null)) {
      differences.push(`${day}: analytics counts ${negative} accounts below zero at close, billing's close ${atClose ?? 'none'}`)
    }
  }
  if (evidence.analyticsToday.management_earnings !== (ledger.get(evidence.billingOpenDay) ?? 0)) {
    differences.push(`analytics shows ${evidence.analyticsToday.management_earnings} cents earned today, the ledger ${ledger.get(evidence.billingOpenDay) ?? 0}`)
  }
}

/** What billing's account pages list per day is what it published, and earned adds up. */
function checkAccountDays(evidence: Evidence, entries: readonly Entry[], differences: string[]): void {
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
