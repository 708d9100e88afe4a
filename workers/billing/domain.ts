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
type Decided = 'billing.task_priced' | 'billing.transaction_applied' | 'billing.payout_made' | 'billing.day_closed' | 'billing.day_opened' | 'billing.day_close_refused'
export type BillingEvent = { [N in Decided]: { name: N; data: EventData<N>; id: string } }[Decided]

export type Entry = EventData<'billing.transaction_applied'>

/** What a decision needs to know of billing's state. */
export type BillingView = {
  /** The day entries are stamped with: the newest day billing opened; none before its first. */
  currentDay: string | undefined
  /** The last day closed, if any. */
  lastClosed: string | undefined
  /** The first day billing ever opened. */
  firstDay: string | undefined
  priceOf(taskId: string): Price | undefined
  isApplied(transactionId: string): boolean
  balanceOf(accountId: string): number
  /** Every account's balance, in account id order. */
  balances(): ReadonlyArray<{ account_id: string; balance: number }>
  amountsOn(day: string): DayAmounts
}

export type Command =
  | { kind: 'roll' }
  | { kind: 'price'; task_id: string }
  | { kind: 'charge'; charge: 'assign_fee' | 'completion_reward'; cause_id: string; account_id: string; task_id: string }
  | { kind: 'close'; business_day: string; request_event_id: string }

/** What billing's clock says: the moment, and the calendar day it falls on in billing's zone. */
export type Given = { random: Random; now: string; today: string; timeZone: string }

export function decide(command: Command, state: BillingView, given: Given): BillingEvent[] {
  const { day, opened } = calendar(state, given)
  switch (command.kind) {
    case 'roll':
      return opened
    case 'price':
      return state.priceOf(command.task_id) ? opened : [...opened, priced(command.task_id, drawPrice(given.random))]
    case 'charge':
      return [...opened, ...decideCharge(command, state, day, given)]
    case 'close':
      return [...opened, ...decideClose(command, state, day, given)]
  }
}

/** The oldest day billing has not closed: the day after the last close, else its first day. */
export function oldestUnclosed(state: Pick<BillingView, 'lastClosed' | 'firstDay'>): string | undefined {
  return state.lastClosed ? nextDay(state.lastClosed) : state.firstDay
}

function opening(day: string, reason: EventData<'billing.day_opened'>['reason'], given: Given): BillingEvent {
  return { name: 'billing.day_opened', data: { business_day: day, time_zone: given.timeZone, reason, opened_at: given.now }, id: ids.opened(day) }
}

/**
 * The business day entries are stamped with now (SPEC §2): billing's open day, unless the
 * calendar has passed it (the day billing's clock is on opens) or it was closed early (the day
 * after opens). Never a day before the calendar day, never a closed one.
 */
export function calendar(state: BillingView, given: Given): { day: string; opened: BillingEvent[] } {
  const afterClose = state.lastClosed ? nextDay(state.lastClosed) : undefined
  const due = afterClose && afterClose > given.today ? afterClose : given.today
  if (state.currentDay !== undefined && state.currentDay >= due) return { day: state.currentDay, opened: [] }
  const reason = state.currentDay === undefined ? 'first_day' : due === given.today ? 'calendar' : 'early_close'
  return { day: due, opened: [opening(due, reason, given)] }
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
export function decideCharge(command: Command & { kind: 'charge' }, state: BillingView, day: string, given: Given): BillingEvent[] {
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
      business_day: day,
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
 * A close request for day D closes every day billing has not closed up to D, in order (SPEC
 * §2): each pays out every positive balance (the first one pays, the later ones find nothing
 * positive), emits payout_made for each and day_closed with the day's summary. Closing the
 * current day before it ends (an early close) opens the next one. A request for a day already
 * closed, or not begun by billing's clock, is refused with billing's open day: every request
 * gets an answer.
 */
export function decideClose(command: Command & { kind: 'close' }, state: BillingView, current: string, given: Given): BillingEvent[] {
  const requested = command.business_day
  const oldest = oldestUnclosed(state) ?? current
  const refuse = (reason: 'already_closed' | 'not_begun'): BillingEvent[] => [
    { name: 'billing.day_close_refused', data: { business_day: requested, reason, open_day: current, request_event_id: command.request_event_id }, id: ids.refused(command.request_event_id) },
  ]
  if (requested > given.today) return refuse('not_begun')
  if (requested < oldest) return refuse('already_closed')
  const balances = new Map(state.balances().map((b) => [b.account_id, b.balance]))
  const events: BillingEvent[] = []
  for (let day = oldest; day <= requested; day = nextDay(day)) events.push(...closing(day, balances, state, given.now))
  if (requested >= current) events.push(opening(nextDay(requested), 'early_close', given))
  return events
}

/** One day's close; `balances` are those at that moment, and are left as the close leaves them. */
function closing(day: string, balances: Map<string, number>, state: BillingView, now: string): BillingEvent[] {
  const paid = payouts([...balances].map(([account_id, balance]) => ({ account_id, balance })))
  const events: BillingEvent[] = []
  for (const payout of paid) {
    const transactionId = ids.payout(day, payout.account_id)
    const entry = { transaction_id: transactionId, account_id: payout.account_id, kind: 'payout' as const, debit: payout.amount, credit: 0, task_id: null, business_day: day, applied_at: now }
    events.push(applied(entry, payout.amount))
    events.push({ name: 'billing.payout_made', data: { account_id: payout.account_id, business_day: day, amount: payout.amount, transaction_id: transactionId }, id: ids.paid(transactionId) })
    balances.set(payout.account_id, 0)
  }
  const summary = {
    business_day: day,
    accounts_paid: paid.length,
    total_paid: paid.reduce((sum, p) => sum + p.amount, 0),
    management_earnings: managementEarnings(state.amountsOn(day)),
    accounts_negative: [...balances.values()].filter((b) => b < 0).length,
  }
  events.push({ name: 'billing.day_closed', data: summary, id: ids.closed(day) })
  return events
}

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
  currentDay: string | undefined
  lastClosed: string | undefined
  firstDay: string | undefined
  prices: ReadonlyMap<string, Price>
  balances: ReadonlyMap<string, number>
  applied: ReadonlySet<string>
  amounts: ReadonlyMap<string, DayAmounts>
}

export const initialState = (): BillingState => ({ currentDay: undefined, lastClosed: undefined, firstDay: undefined, prices: new Map(), balances: new Map(), applied: new Set(), amounts: new Map() })

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
    case 'billing.day_opened': {
      const day = event.data.business_day
      return { ...state, currentDay: later(state.currentDay, day), firstDay: state.firstDay === undefined || day < state.firstDay ? day : state.firstDay }
    }
    case 'billing.day_closed':
      return { ...state, lastClosed: later(state.lastClosed, event.data.business_day) }
    case 'billing.payout_made':
    case 'billing.day_close_refused':
      return state
  }
}

const later = (a: string | undefined, b: string) => (a === undefined || b > a ? b : a)

export function viewOf(state: BillingState): BillingView {
  return {
    currentDay: state.currentDay,
    lastClosed: state.lastClosed,
    firstDay: state.firstDay,
    priceOf: (taskId) => state.prices.get(taskId),
    isApplied: (transactionId) => state.applied.has(transactionId),
    balanceOf: (accountId) => state.balances.get(accountId) ?? 0,
    balances: () => [...state.balances].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([account_id, balance]) => ({ account_id, balance })),
    amountsOn: (day) => state.amounts.get(day) ?? { fees: 0, rewards: 0 },
  }
}
