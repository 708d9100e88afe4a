// analytics' rules, pure: the days of a period, the open business day as the events tell it,
// what each billing event changes in the read models, and the figures analytics publishes.
import { amountsOf, type DayAmounts, managementEarnings } from '../../contracts/money.ts'
import type { EventData } from '../../contracts/registry.ts'
import { nextDay } from '../runtime/days.ts'

function utc(day: string): Date {
  return new Date(`${day}T00:00:00Z`)
}
const iso = (d: Date) => d.toISOString().slice(0, 10)

export type Period = 'day' | 'week' | 'month'

/** The first and last day of the period holding `day` (weeks are ISO: Monday to Sunday). */
export function periodOf(period: Period, day: string): { from: string; to: string } {
  const d = utc(day)
  if (period === 'day') return { from: day, to: day }
  if (period === 'week') {
    const monday = new Date(d)
    monday.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7))
    const sunday = new Date(monday)
    sunday.setUTCDate(monday.getUTCDate() + 6)
    return { from: iso(monday), to: iso(sunday) }
  }
  const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1))
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0))
  return { from: iso(first), to: iso(last) }
}

/**
 * The open business day as billing's events tell it: the last day it opened, the day after
 * its last close, or the newest day an entry was stamped with, whichever is latest; before any
 * of them, today by the clock.
 */
export function openDayOf(seen: { lastClosed: string | undefined; lastOpened?: string | undefined; newest: string | undefined }, today: string): string {
  const candidates = [seen.lastClosed && nextDay(seen.lastClosed), seen.lastOpened, seen.newest].filter((d): d is string => Boolean(d)).sort()
  return candidates.at(-1) ?? today
}

/** What a ledger entry changes: its account's balance, its day's amounts, and a completion (the reward of a completed task). */
export type EntryEffect = {
  account_id: string
  balance: number
  business_day: string
  amounts: DayAmounts
  completion: { task_id: string; reward: number; applied_at: string } | undefined
}

/**
 * A sum of movements, not the last balance_after seen: an entry redelivered after a crash
 * arrives behind newer ones, and its transaction id makes each count once (addEntry).
 */
export function entryEffect(entry: EventData<'billing.transaction_applied'>): EntryEffect {
  const completion = entry.kind === 'completion_reward' && entry.task_id !== null ? { task_id: entry.task_id, reward: entry.credit, applied_at: entry.applied_at } : undefined
  return { account_id: entry.account_id, balance: entry.credit - entry.debit, business_day: entry.business_day, amounts: amountsOf(entry), completion }
}

export type DayFigures = EventData<'analytics.day_figures'>

/**
 * What analytics publishes for a closed day (analytics.day_figures): the management earnings it
 * summed from the day's entries itself, and the employees below zero at the close as its
 * dashboard shows them (the close's count).
 */
export function dayFigures(day: string, amounts: DayAmounts, negativeAtClose: number): DayFigures {
  return { business_day: day, management_earnings: managementEarnings(amounts), accounts_negative: negativeAtClose }
}

/**
 * The event_time of the next figures analytics publishes: now, but always after the previous
 * ones. The latest figures of a day are the ones to believe, and a reader tells the latest by
 * its time; a close and the late entries redelivered after it are often handled in one batch,
 * within one millisecond.
 */
export function figuresTime(now: Date, previous: Date | undefined): Date {
  return previous === undefined || now > previous ? now : new Date(previous.getTime() + 1)
}

/**
 * Whether an entry moves its day's management earnings (a fee or a reward, not a payout). One
 * of a day already closed reached analytics after the close (redelivered after a crash), and
 * the day's figures are published again.
 */
export function movesEarnings(effect: EntryEffect): boolean {
  return effect.amounts.fees !== 0 || effect.amounts.rewards !== 0
}
