// The audit's rules of the ledger, pure (domain.ts holds the task rules and what they share):
// each account's entries form a chain, each balance_after the balance before it plus its credit
// minus its debit; a close pays out exactly each positive balance, of a day it closed, and
// reports it; a day's management earnings, payouts and accounts below zero are the same in
// the ledger, in billing.day_closed and in analytics' figures.
import { managementEarnings } from '../../contracts/money.ts'
import type { EventData } from '../../contracts/registry.ts'
import { dollars } from '../runtime/views/format.ts'
import { type Entry, type Fact, type Finding, newest, ref, short } from './domain.ts'

export type PayoutMade = Fact & { transaction_id: string; account_id: string; business_day: string; amount: number }
export type Close = Fact & EventData<'billing.day_closed'>
export type Figures = Fact & EventData<'analytics.day_figures'>

/**
 * An account's entries applied on one calendar day (UTC, by billing's clock), the order billing
 * wrote them in: a close of day D pays out the balances at that moment, which may already hold
 * entries of D + 1 applied just after midnight, so a chain follows time, not business days.
 * `opening` is the balance the account's previous entry left, as billing wrote it;
 * `explained` tells the entries some event caused; `closed` the business days closed.
 */
export type AccountDayFacts = {
  account_id: string
  day: string
  opening: number
  entries: Array<Entry & { explained: boolean }>
  payoutsMade: PayoutMade[]
  closed: ReadonlySet<string>
}

/** The UTC calendar day an entry was applied on: the day of its account's chain it belongs to. */
export const dayApplied = (entry: { applied_at: string }) => entry.applied_at.slice(0, 10)

/** Stream order when the times agree: the event time, then the order the audit took them in, then the id. */
const byTime = (a: Entry, b: Entry) =>
  a.applied_at < b.applied_at ? -1 : a.applied_at > b.applied_at ? 1 : a.at < b.at ? -1 : a.at > b.at ? 1 : (a.taken ?? 0) !== (b.taken ?? 0) ? (a.taken ?? 0) - (b.taken ?? 0) : a.event_id < b.event_id ? -1 : 1

/**
 * Entries in the order billing wrote them, rebuilt from the balances themselves (a stream may
 * hold them out of commit order), preferring the order of their times: from the opening
 * balance, the next entry is the one whose balance before it is the balance now. When none
 * is, the earliest comes next, a break in the chain.
 */
export function chainOf<E extends Entry>(opening: number, entries: readonly E[]): Array<{ entry: E; before: number; fits: boolean }> {
  const remaining = [...entries].sort(byTime)
  const chain: Array<{ entry: E; before: number; fits: boolean }> = []
  let balance = opening
  while (remaining.length > 0) {
    const next = remaining.findIndex((e) => e.balance_after === balance + e.credit - e.debit)
    const [entry] = remaining.splice(next < 0 ? 0 : next, 1) as [E]
    chain.push({ entry, before: balance, fits: next >= 0 })
    balance = entry.balance_after
  }
  return chain
}

/** The account's day is a chain from its opening balance; its payouts are whole positive balances, reported, of closed days. */
export function checkAccountDay(day: AccountDayFacts): Finding[] {
  const found: Finding[] = []
  const who = `account ${short(day.account_id)} on ${day.day}`
  // One transaction counts once; a payout under several events is reported here, fees and rewards with their task.
  const transactions = new Map<string, Entry & { explained: boolean }>()
  for (const entry of [...day.entries].sort(byTime)) {
    const first = transactions.get(entry.transaction_id)
    if (!first) transactions.set(entry.transaction_id, entry)
    else if (entry.kind === 'payout') found.push({ kind: 'payout_twice', key: `payout_twice:${entry.event_id}`, message: `${who}: payout ${short(entry.transaction_id)} was published again as another event`, events: [ref.entry(first), ref.entry(entry)], since: entry.at })
  }
  for (const { entry, before, fits } of chainOf(day.opening, [...transactions.values()])) {
    if (entry.kind === 'payout') {
      found.push(...checkPayout(day, entry, before, who))
      continue
    }
    if (!fits) {
      const sign = entry.credit ? '+' : '−'
      found.push({
        kind: 'balance_chain',
        key: `balance_chain:${entry.event_id}`,
        message: `${who}: ${entry.kind} ${short(entry.transaction_id)} says the balance became ${dollars(entry.balance_after)}, but ${dollars(before)} ${sign} ${dollars(entry.credit || entry.debit)} is ${dollars(before + entry.credit - entry.debit)}`,
        events: [ref.entry(entry)],
        since: entry.at,
      })
    }
    // A fee or reward naming a task is judged with its task; one naming none, here.
    if (entry.task_id === null && !entry.explained) {
      const kind = entry.kind === 'assign_fee' ? 'fee_unexplained' : 'reward_unexplained'
      found.push({ kind, key: `${kind}:${entry.event_id}`, message: `${who}: ${entry.kind} ${short(entry.transaction_id)} of ${dollars(entry.debit || entry.credit)} names no task, and no event caused it`, events: [ref.entry(entry)], since: entry.at })
    }
  }
  return found
}

function checkPayout(day: AccountDayFacts, payout: Entry, before: number, who: string): Finding[] {
  const found: Finding[] = []
  if (payout.debit !== before || before <= 0 || payout.balance_after !== 0 || payout.credit !== 0 || payout.task_id !== null) {
    found.push({
      kind: 'payout_not_balance',
      key: `payout_not_balance:${payout.event_id}`,
      message: `${who}: paid out ${dollars(payout.debit)} of a balance of ${dollars(before)}, leaving ${dollars(payout.balance_after)}${payout.task_id ? ` (naming task ${short(payout.task_id)})` : ''}`,
      events: [ref.entry(payout)],
      since: payout.at,
    })
  }
  const made = day.payoutsMade.filter((m) => m.transaction_id === payout.transaction_id)
  if (made.length === 0 || made.some((m) => m.amount !== payout.debit || m.account_id !== payout.account_id || m.business_day !== payout.business_day)) {
    found.push({
      kind: 'payout_unreported',
      key: `payout_unreported:${payout.event_id}`,
      message: `${who}: payout ${short(payout.transaction_id)} of ${dollars(payout.debit)} ${made.length === 0 ? 'has no billing.payout_made' : `is reported as ${made.map((m) => dollars(m.amount)).join(', ')}`}`,
      events: [ref.entry(payout), ...made.map(ref.payoutMade)],
      since: newest(payout.at, ...made.map((m) => m.at)),
    })
  }
  if (!day.closed.has(payout.business_day)) {
    found.push({ kind: 'payout_unclosed_day', key: `payout_unclosed_day:${payout.event_id}`, message: `${who}: payout ${short(payout.transaction_id)} of ${dollars(payout.debit)} for ${payout.business_day}, a day that was never closed`, events: [ref.entry(payout)], since: payout.at })
  }
  return found
}

/**
 * A closed business day as the ledger has it (each transaction once): its fees and rewards,
 * its payouts, the time of its newest entry, and at the moment of its close the accounts
 * below zero and the positive balances without a payout of the day.
 */
export type DayLedger = { fees: number; rewards: number; accountsPaid: number; totalPaid: number; accountsNegative: number; unpaid: Array<{ account_id: string; balance: number }>; newest: string | undefined }

/** `unreported`: the day's billing.payout_made events whose transaction has no entry. */
export type DayFacts = { business_day: string; ledger: DayLedger; closes: Close[]; figures: Figures[]; unreported: PayoutMade[] }

/** A closed day's summary and analytics' figures are the ledger's; every positive balance was paid. */
export function checkDay(day: DayFacts): Finding[] {
  const found: Finding[] = []
  const { ledger } = day
  for (const made of day.unreported) {
    found.push({ kind: 'payout_unreported', key: `payout_unreported:${made.event_id}`, message: `billing.payout_made of ${dollars(made.amount)} to account ${short(made.account_id)} on ${day.business_day} has no payout entry (transaction ${short(made.transaction_id)})`, events: [ref.payoutMade(made)], since: made.at })
  }
  const earnings = managementEarnings(ledger)
  const [close, ...again] = day.closes
  if (again.length > 0) found.push({ kind: 'closed_twice', key: 'closed_twice', message: `${day.business_day} was closed ${day.closes.length} times`, events: day.closes.map(ref.close), since: newest(...again.map((c) => c.at)) })
  const latest = day.figures.reduce<Figures | undefined>((a, b) => (a === undefined || b.at > a.at || (b.at === a.at && b.event_id > a.event_id) ? b : a), undefined)
  if (!close) {
    if (latest) found.push({ kind: 'analytics_disagrees', key: 'analytics_disagrees', message: `analytics published figures of ${day.business_day}, a day billing never closed`, events: [ref.figures(latest)], since: latest.at })
    return found
  }
  const wrong = [
    close.management_earnings !== earnings && `management earnings ${dollars(close.management_earnings)} (the ledger: ${dollars(earnings)})`,
    (close.accounts_paid !== ledger.accountsPaid || close.total_paid !== ledger.totalPaid) && `${close.accounts_paid} payouts of ${dollars(close.total_paid)} (the ledger: ${ledger.accountsPaid} of ${dollars(ledger.totalPaid)})`,
    close.accounts_negative !== ledger.accountsNegative && `${close.accounts_negative} accounts below zero (the ledger: ${ledger.accountsNegative})`,
  ].filter((w): w is string => typeof w === 'string')
  if (wrong.length > 0) found.push({ kind: 'close_disagrees', key: 'close_disagrees', message: `the close of ${day.business_day} reports ${wrong.join('; ')}`, events: [ref.close(close)], since: newest(close.at, ledger.newest) })
  for (const { account_id, balance } of ledger.unpaid) {
    found.push({ kind: 'balance_unpaid', key: `balance_unpaid:${account_id}`, message: `the close of ${day.business_day} left account ${short(account_id)} with ${dollars(balance)} unpaid`, events: [ref.close(close)], since: newest(close.at, ledger.newest) })
  }
  if (!latest) {
    found.push({ kind: 'analytics_missing', key: 'analytics_missing', message: `analytics published no figures for ${day.business_day}`, events: [ref.close(close)], since: close.at })
  } else if (latest.management_earnings !== earnings || latest.accounts_negative !== ledger.accountsNegative) {
    found.push({
      kind: 'analytics_disagrees',
      key: 'analytics_disagrees',
      message: `analytics shows ${dollars(latest.management_earnings)} earned and ${latest.accounts_negative} accounts below zero on ${day.business_day}, the ledger ${dollars(earnings)} and ${ledger.accountsNegative}`,
      events: [ref.figures(latest), ref.close(close)],
      since: newest(latest.at, close.at, ledger.newest),
    })
  }
  return found
}
