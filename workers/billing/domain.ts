// billing's decisions, pure: prices, what an assignment, a completion and a close decide (the
// billing.* events), and who may see an account. State comes in as a BillingView (read from
// the store by the handlers, or folded from events by evolve in tests); randomness and time
// come in as data. Every id billing emits derives from the event that caused it, so a rebuild
// recognises what it already did.
import { derivedIds } from '../../contracts/derived-ids.ts'
import { amountsOf, type DayAmounts, type EntryKind, FEE_DOLLARS, managementEarnings, REWARD_DOLLARS } from '../../contracts/money.ts'
import type { EventData } from '../../contracts/registry.ts'
import type { Role } from '../runtime/auth.ts'
import { nextDay } from '../runtime/days.ts'

export const FEE = FEE_DOLLARS
export const REWARD = REWARD_DOLLARS

export type Random = () => number

/** A uniformly random whole-dollar amount in [min, max], in cents. */
export function drawDollars(range: { min: number; max: number }, random: Random): number {
  const span = range.max - range.min + 1
  return (range.min + Math.min(span - 1, Math.floor(random() * span))) * 100
}

export type Price = { assign_fee: number; completion_reward: number }

export function drawPrice(random: Random): Price {
  return { assign_fee: drawDollars(FEE, random), completion_reward: drawDollars(REWARD, random) }
}

export type Kind = EntryKind

export const ids = derivedIds

/** An event billing decides, with the id it is published under. */
export type BillingEvent = {
  [N in 'billing.task_priced' | 'billing.transaction_applied' | 'billing.payout_made' | 'billing.day_closed']: { name: N; data: EventData<N>; id: string }
}['billing.task_priced' | 'billing.transaction_applied' | 'billing.payout_made' | 'billing.day_closed']

export type Entry = EventData<'billing.transaction_applied'>

/** What a decision needs to know of billing's state. */
export type BillingView = {
  openDay: string
  priceOf(taskId: string): Price | undefined
  isApplied(transactionId: string): boolean
  balanceOf(accountId: string): number
  /** Every account's balance, in account id order. */
  balances(): ReadonlyArray<{ account_id: string; balance: number }>
  amountsOn(day: string): DayAmounts
}

export type Command =
  | { kind: 'price'; task_id: string }
  | { kind: 'charge'; charge: 'assign_fee' | 'completion_reward'; cause_id: string; account_id: string; task_id: string }
  | { kind: 'close'; business_day: string }

export type Given = { random: Random; now: string }

export function decide(command: Command, state: BillingView, given: Given): BillingEvent[] {
  switch (command.kind) {
    case 'price':
      return state.priceOf(command.task_id) ? [] : [priced(command.task_id, drawPrice(given.random))]
    case 'charge':
      return decideCharge(command, state, given)
    case 'close':
      return decideClose(command.business_day, state, given.now)
  }
}

function priced(taskId: string, price: Price): BillingEvent {
  return { name: 'billing.task_priced', data: { task_id: taskId, ...price }, id: ids.price(taskId) }
}

function applied(entry: Omit<Entry, 'balance_after'>, balanceBefore: number): BillingEvent & { name: 'billing.transaction_applied' } {
  const data = { ...entry, balance_after: balanceBefore + entry.credit - entry.debit }
  return { name: 'billing.transaction_applied', data, id: ids.applied(entry.transaction_id) }
}

/**
 * An assignment debits the task's fee, a completion credits its reward, on the open day (SPEC
 * B4). The price is drawn once, on the task's first sight, and never again; a charge already
 * applied (its id derives from the event that caused it) decides nothing.
 */
export function decideCharge(command: Command & { kind: 'charge' }, state: BillingView, given: Given): BillingEvent[] {
  const transactionId = command.charge === 'assign_fee' ? ids.fee(command.cause_id) : ids.reward(command.cause_id)
  if (state.isApplied(transactionId)) return []
  const known = state.priceOf(command.task_id)
  const price = known ?? drawPrice(given.random)
  const fee = command.charge === 'assign_fee'
  const entry = applied(
    {
      transaction_id: transactionId,
      account_id: command.account_id,
      kind: command.charge,
      debit: fee ? price.assign_fee : 0,
      credit: fee ? 0 : price.completion_reward,
      task_id: command.task_id,
      business_day: state.openDay,
      applied_at: given.now,
    },
    state.balanceOf(command.account_id),
  )
  return known ? [entry] : [priced(command.task_id, price), entry]
}

export type Payout = { account_id: string; amount: number }

/** Every positive balance is paid out in full; zero and negative balances stay (SPEC B6, B7). */
export function payouts(balances: ReadonlyArray<{ account_id: string; balance: number }>): Payout[] {
  return balances.filter((b) => b.balance > 0).map((b) => ({ account_id: b.account_id, amount: b.balance }))
}

/**
 * A close request for the open day or later closes the open day: a payout entry of each positive
 * balance, payout_made for each, and day_closed with the day's summary; the next day opens. A
 * request for a day already closed decides nothing.
 */
export function decideClose(requested: string, state: BillingView, now: string): BillingEvent[] {
  const day = state.openDay
  if (requested < day) return []
  const balances = state.balances()
  const paid = payouts(balances)
  const events: BillingEvent[] = []
  for (const payout of paid) {
    const transactionId = ids.payout(day, payout.account_id)
    const entry = { transaction_id: transactionId, account_id: payout.account_id, kind: 'payout' as const, debit: payout.amount, credit: 0, task_id: null, business_day: day, applied_at: now }
    events.push(applied(entry, payout.amount))
    events.push({ name: 'billing.payout_made', data: { account_id: payout.account_id, business_day: day, amount: payout.amount, transaction_id: transactionId }, id: ids.paid(transactionId) })
  }
  const summary = {
    business_day: day,
    accounts_paid: paid.length,
    total_paid: paid.reduce((sum, p) => sum + p.amount, 0),
    management_earnings: managementEarnings(state.amountsOn(day)),
    accounts_negative: balances.filter((b) => b.balance < 0).length,
  }
  events.push({ name: 'billing.day_closed', data: summary, id: ids.closed(day) })
  return events
}

/** The day a close opens after closing `day`. */
export const dayAfterClose = nextDay

/** What an account earned in a day: its credits minus debits, payouts left out. */
export function earned(entries: ReadonlyArray<{ kind: Kind; debit: number; credit: number }>): number {
  return entries.filter((e) => e.kind !== 'payout').reduce((sum, e) => sum + e.credit - e.debit, 0)
}

/** Admins and accountants see every account; everybody else only their own (SPEC B1). */
export function maySeeAccount(caller: { id: string; role: Role }, accountId: string): boolean {
  return caller.id === accountId || caller.role === 'admin' || caller.role === 'accountant'
}

/** Billing's state as events build it: the in-memory BillingView a decision is tested against. */
export type BillingState = {
  openDay: string
  prices: ReadonlyMap<string, Price>
  balances: ReadonlyMap<string, number>
  applied: ReadonlySet<string>
  amounts: ReadonlyMap<string, DayAmounts>
}

export const initialState = (openDay: string): BillingState => ({ openDay, prices: new Map(), balances: new Map(), applied: new Set(), amounts: new Map() })

export function evolve(state: BillingState, event: BillingEvent): BillingState {
  switch (event.name) {
    case 'billing.task_priced':
      return { ...state, prices: new Map(state.prices).set(event.data.task_id, { assign_fee: event.data.assign_fee, completion_reward: event.data.completion_reward }) }
    case 'billing.transaction_applied': {
      const e = event.data
      const before = state.amounts.get(e.business_day) ?? { fees: 0, rewards: 0 }
      const added = amountsOf(e)
      return {
        ...state,
        balances: new Map(state.balances).set(e.account_id, e.balance_after),
        applied: new Set(state.applied).add(e.transaction_id),
        amounts: new Map(state.amounts).set(e.business_day, { fees: before.fees + added.fees, rewards: before.rewards + added.rewards }),
      }
    }
    case 'billing.payout_made':
      return state
    case 'billing.day_closed':
      return { ...state, openDay: dayAfterClose(event.data.business_day) }
  }
}

export function viewOf(state: BillingState): BillingView {
  return {
    openDay: state.openDay,
    priceOf: (taskId) => state.prices.get(taskId),
    isApplied: (transactionId) => state.applied.has(transactionId),
    balanceOf: (accountId) => state.balances.get(accountId) ?? 0,
    balances: () => [...state.balances].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([account_id, balance]) => ({ account_id, balance })),
    amountsOn: (day) => state.amounts.get(day) ?? { fees: 0, rewards: 0 },
  }
}
