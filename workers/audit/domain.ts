// The audit's rules, pure: what the streams must show for each task, each account's business
// day and each business day (SPEC §5), given the facts read from them, and when what a rule
// finds counts as a difference. The audit worker, `make reconcile` and the fault suite's
// checker all judge with these functions; ledger.ts holds the rules of accounts and days.
import type { DifferenceKind } from '../../contracts/http/audit.ts'
import type { EntryKind } from '../../contracts/money.ts'
import { FEE_DOLLARS, REWARD_DOLLARS } from '../../contracts/money.ts'
import type { EventName } from '../../contracts/registry.ts'
import { dollars } from '../runtime/views/format.ts'

/** An event the audit has read: its id and time (the producer's clock). */
export type Fact = { event_id: string; at: string }
export type Entry = Fact & {
  transaction_id: string
  account_id: string
  kind: EntryKind
  debit: number
  credit: number
  task_id: string | null
  business_day: string
  balance_after: number
  applied_at: string
  /** The order the audit took it in (its stream order); none for an entry taken before it was kept. */
  taken?: number | null
}
export type Price = Fact & { assign_fee: number; completion_reward: number }
/** A tasks.assigned or tasks.completed, with the entries found by the id of its charge. */
export type Cause = Fact & { kind: 'assigned' | 'completed'; account_id: string; charges: Entry[] }

/** What is checked together: a task, an account's business day, a business day. */
export type Scope = 'task' | 'account_day' | 'day'

/** Every kind of difference, with what it means: the page, the metric and the README use these. */
export const KINDS = {
  price_missing: { scope: 'task', meaning: 'a task was created or assigned, but billing never priced it' },
  price_changed: { scope: 'task', meaning: 'a task was priced more than once, with different amounts' },
  price_out_of_range: { scope: 'task', meaning: 'a price outside the rules: fees are $10–$20, rewards $20–$40, whole dollars' },
  fee_missing: { scope: 'task', meaning: 'an assignment without its assignment fee' },
  fee_twice: { scope: 'task', meaning: 'an assignment charged more than once' },
  fee_wrong: { scope: 'task', meaning: "an assignment fee that is not the task's price, or not on the assignee" },
  fee_unexplained: { scope: 'task', meaning: 'an assignment fee no assignment caused (a task never assigned to that account)' },
  reward_missing: { scope: 'task', meaning: 'a completion without its reward' },
  reward_twice: { scope: 'task', meaning: 'a completion credited more than once' },
  reward_wrong: { scope: 'task', meaning: "a reward that is not the task's price, or not on the one who completed it" },
  reward_unexplained: { scope: 'task', meaning: 'a reward no completion caused' },
  completed_twice: { scope: 'task', meaning: 'a task completed more than once' },
  balance_chain: { scope: 'account_day', meaning: "an entry's balance_after is not the balance before it plus its credit minus its debit" },
  payout_not_balance: { scope: 'account_day', meaning: 'a payout that is not exactly the positive balance at that moment, or did not leave it at zero' },
  payout_twice: { scope: 'account_day', meaning: 'one payout published more than once' },
  payout_unclosed_day: { scope: 'account_day', meaning: 'a payout of a business day that was never closed' },
  payout_unreported: { scope: 'account_day', meaning: 'a payout entry without its billing.payout_made, or the other way round' },
  close_disagrees: { scope: 'day', meaning: "billing.day_closed's figures (earnings, payouts, accounts below zero) are not the ledger's" },
  closed_twice: { scope: 'day', meaning: 'a business day closed more than once' },
  balance_unpaid: { scope: 'day', meaning: 'a positive balance left unpaid at the close of a day' },
  analytics_missing: { scope: 'day', meaning: 'analytics published no figures for a closed day' },
  analytics_disagrees: { scope: 'day', meaning: "analytics' figures of a day are not the ledger's" },
} as const satisfies Record<DifferenceKind, { scope: Scope; meaning: string }>

export type Kind = DifferenceKind
export const KIND_NAMES = Object.keys(KINDS) as Kind[]

export type EventRef = { event_id: string; event_name: EventName }

/**
 * What a rule found. `key` tells it apart from the others of its subject; `since` is when it
 * arose: the time of the newest event it is about (of the cause, for something missing).
 */
export type Finding = { kind: Kind; key: string; message: string; events: EventRef[]; since: string }

/**
 * The settle rule: a finding is a difference once it is `settleSeconds` old and the audit has
 * been caught up since then, i.e. at a moment at least that long after it arose every audit
 * consumer had handled everything its stream held. Until then the streams may still bring
 * what resolves it (a fee that is merely late), and it is only pending.
 */
export function isDifference(since: string, caughtUpAt: Date | undefined, settleSeconds: number): boolean {
  return caughtUpAt !== undefined && Date.parse(since) + settleSeconds * 1000 <= caughtUpAt.getTime()
}

export const short = (id: string | null) => (id ? id.slice(0, 8) : '–')
export const newest = (...times: Array<string | undefined>) => times.filter((t): t is string => t !== undefined).reduce((a, b) => (b > a ? b : a), '')
const oldest = (facts: Fact[]) => facts.map((f) => f.at).reduce((a, b) => (b < a ? b : a))

export const ref = {
  entry: (e: Fact): EventRef => ({ event_id: e.event_id, event_name: 'billing.transaction_applied' }),
  price: (e: Fact): EventRef => ({ event_id: e.event_id, event_name: 'billing.task_priced' }),
  created: (e: Fact): EventRef => ({ event_id: e.event_id, event_name: 'tasks.created' }),
  cause: (e: Cause): EventRef => ({ event_id: e.event_id, event_name: e.kind === 'assigned' ? 'tasks.assigned' : 'tasks.completed' }),
  payoutMade: (e: Fact): EventRef => ({ event_id: e.event_id, event_name: 'billing.payout_made' }),
  close: (e: Fact): EventRef => ({ event_id: e.event_id, event_name: 'billing.day_closed' }),
  figures: (e: Fact): EventRef => ({ event_id: e.event_id, event_name: 'analytics.day_figures' }),
}

/** Everything the streams say about one task. `loose` are its fees and rewards no event caused. */
export type TaskFacts = { task_id: string; created: Fact[]; prices: Price[]; causes: Cause[]; loose: Entry[] }

const LABEL: Record<EntryKind, string> = { assign_fee: 'fee', completion_reward: 'reward', payout: 'payout' }

function inDollars(cents: number, range: { min: number; max: number }): boolean {
  return Number.isInteger(cents) && cents % 100 === 0 && cents >= range.min * 100 && cents <= range.max * 100
}

/** Each assignment paid one fee and each completion one reward, of the task's one price; nothing else charged. */
export function checkTask(task: TaskFacts): Finding[] {
  const found: Finding[] = []
  const price = task.prices[0]
  const ways = new Map(task.prices.map((p) => [`${dollars(p.assign_fee)} / ${dollars(p.completion_reward)}`, p]))
  if (ways.size > 1) {
    found.push({ kind: 'price_changed', key: 'price_changed', message: `task ${short(task.task_id)} was priced ${ways.size} ways: ${[...ways.keys()].join(', ')}`, events: task.prices.map(ref.price), since: newest(...task.prices.map((p) => p.at)) })
  }
  for (const p of ways.values()) {
    if (!inDollars(p.assign_fee, FEE_DOLLARS) || !inDollars(p.completion_reward, REWARD_DOLLARS)) {
      found.push({ kind: 'price_out_of_range', key: `price_out_of_range:${p.event_id}`, message: `task ${short(task.task_id)} has a fee of ${dollars(p.assign_fee)} and a reward of ${dollars(p.completion_reward)}`, events: [ref.price(p)], since: p.at })
    }
  }
  const seen = [...task.created, ...task.causes]
  if (!price && seen.length > 0) {
    found.push({ kind: 'price_missing', key: 'price_missing', message: `task ${short(task.task_id)} was never priced`, events: [...task.created.map(ref.created), ...task.causes.map(ref.cause)], since: oldest(seen) })
  }
  for (const cause of task.causes) found.push(...checkCharges(cause, task.task_id, price))
  const completions = task.causes.filter((c) => c.kind === 'completed')
  if (completions.length > 1) {
    found.push({ kind: 'completed_twice', key: 'completed_twice', message: `task ${short(task.task_id)} was completed ${completions.length} times`, events: completions.map(ref.cause), since: newest(...completions.map((c) => c.at)) })
  }
  for (const entry of task.loose) {
    const fee = entry.kind === 'assign_fee'
    const sameAccount = task.causes.some((c) => c.kind === (fee ? 'assigned' : 'completed') && c.account_id === entry.account_id)
    const kind: Kind = fee ? (sameAccount ? 'fee_twice' : 'fee_unexplained') : sameAccount ? 'reward_twice' : 'reward_unexplained'
    const amount = dollars(fee ? entry.debit : entry.credit)
    const message = sameAccount
      ? `${fee ? 'a fee' : 'a reward'} of ${amount} on ${short(entry.account_id)} for task ${short(task.task_id)} beyond the one each ${fee ? 'assignment' : 'completion'} caused (transaction ${short(entry.transaction_id)})`
      : `${fee ? 'a fee' : 'a reward'} of ${amount} on ${short(entry.account_id)} for task ${short(task.task_id)}, which was never ${fee ? 'assigned' : 'completed'} by that account (transaction ${short(entry.transaction_id)})`
    found.push({ kind, key: `${kind}:${entry.event_id}`, message, events: [ref.entry(entry)], since: entry.at })
  }
  return found
}

/** The one entry an assignment or a completion caused, found by its derived id, of the task's price. */
function checkCharges(cause: Cause, taskId: string, price: Price | undefined): Finding[] {
  const fee = cause.kind === 'assigned'
  const kinds = fee ? ({ missing: 'fee_missing', twice: 'fee_twice', wrong: 'fee_wrong' } as const) : ({ missing: 'reward_missing', twice: 'reward_twice', wrong: 'reward_wrong' } as const)
  const entryKind: EntryKind = fee ? 'assign_fee' : 'completion_reward'
  const what = `${fee ? 'assignment' : 'completion'} ${short(cause.event_id)} of task ${short(taskId)} by ${short(cause.account_id)}`
  const [first, ...again] = cause.charges
  if (!first) return [{ kind: kinds.missing, key: `${kinds.missing}:${cause.event_id}`, message: `${what} has no ${fee ? 'fee' : 'reward'}`, events: [ref.cause(cause)], since: cause.at }]
  const found: Finding[] = []
  if (again.length > 0) {
    found.push({ kind: kinds.twice, key: `${kinds.twice}:${cause.event_id}`, message: `${what} was charged ${cause.charges.length} times (transaction ${short(first.transaction_id)})`, events: [ref.cause(cause), ...cause.charges.map(ref.entry)], since: newest(cause.at, ...cause.charges.map((c) => c.at)) })
  }
  const amount = price && (fee ? price.assign_fee : price.completion_reward)
  const [debit, credit] = fee ? [amount, 0] : [0, amount]
  const wrongAmount = amount !== undefined && (first.debit !== debit || first.credit !== credit)
  if (first.kind !== entryKind || first.account_id !== cause.account_id || first.task_id !== taskId || wrongAmount) {
    const expected = `a ${LABEL[entryKind]}${amount === undefined ? '' : ` of ${dollars(amount)}`} on ${short(cause.account_id)}`
    found.push({
      kind: kinds.wrong,
      key: `${kinds.wrong}:${cause.event_id}`,
      message: `${what}: expected ${expected}, the ledger has a ${LABEL[first.kind]} of ${dollars(first.debit || first.credit)} on ${short(first.account_id)} for task ${short(first.task_id)}`,
      events: [ref.cause(cause), ref.entry(first), ...(price ? [ref.price(price)] : [])],
      since: newest(cause.at, first.at, price?.at),
    })
  }
  return found
}
