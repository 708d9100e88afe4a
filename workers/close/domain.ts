// close's rules, pure: which business day to ask billing to close, and when (SPEC §2); when a
// request unanswered is asked again; what a payout e-mail says. Billing owns the calendar:
// close knows its open day and closed days only from billing's events.
import { Cron } from 'croner'
import { backoff } from '../runtime/backoff.ts'
import { dayIn, nextDay } from '../runtime/days.ts'
import { dollars } from '../runtime/views/format.ts'

/** What billing's events told close of billing's calendar. */
export type Calendar = {
  /** The day billing stamps entries with (its newest day_opened). */
  openDay: string | undefined
  /** The first day billing ever opened. */
  firstDay: string | undefined
  lastClosed: string | undefined
  /** The zone billing's calendar runs in. */
  zone: string | undefined
}

export type Schedule = { pattern: string; timeZone: string }

/** The oldest day billing has not closed; undefined before billing opened any. */
export function oldestUnclosed(calendar: Calendar): string | undefined {
  return calendar.lastClosed ? nextDay(calendar.lastClosed) : calendar.firstDay
}

const crons = new Map<string, Cron>()

/** When the schedule fires next after `from` (croner, in the business time zone). */
export function nextFiring(schedule: Schedule, from: Date): Date | null {
  const key = `${schedule.pattern} ${schedule.timeZone}`
  let cron = crons.get(key)
  if (!cron) {
    cron = new Cron(schedule.pattern, { timezone: schedule.timeZone, paused: true })
    crons.set(key, cron)
  }
  return cron.nextRun(from)
}

/** The day a firing at `at` closes: the day that ended before it (the calendar day of at − 1 ms). */
export function dayEndedBefore(timeZone: string, at: Date): string {
  return dayIn(timeZone, new Date(at.getTime() - 1))
}

/** The earliest moment calendar day `day` can begin in any zone (UTC+14). */
const startOf = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 14 * 3600_000)

/** When the schedule closes `day`: its first firing after which `day` has ended. */
export function closingTime(schedule: Schedule, day: string): Date | null {
  let at = nextFiring(schedule, startOf(day))
  for (let guard = 0; at && dayEndedBefore(schedule.timeZone, at) < day && guard < 1000; guard++) at = nextFiring(schedule, at)
  return at
}

/** The last firing at or before `now`, looking back as far as `since`; null when none. */
export function lastFiring(schedule: Schedule, now: Date, since: string): Date | null {
  let last: Date | null = null
  let at = nextFiring(schedule, new Date(startOf(since).getTime() - 86_400_000))
  for (let guard = 0; at && at <= now && guard < 100_000; guard++) {
    last = at
    at = nextFiring(schedule, at)
  }
  return last
}

/** What a close asked for decides: a request for a day, or none. */
export type Ask = { request: string } | { request: undefined }

/**
 * The schedule (a firing at `at`, or catch-up with the last firing): close the day that ended
 * before it when billing still has it open. Billing closes every day it has not closed up to
 * that one, in order, so one request catches up any downtime.
 */
export function decideScheduled(calendar: Calendar, at: Date, timeZone: string): Ask {
  const target = dayEndedBefore(timeZone, at)
  const oldest = oldestUnclosed(calendar)
  return oldest !== undefined && oldest <= target ? { request: target } : { request: undefined }
}

export type Refusal = { kind: 'next_day_open'; message: string; open_day: string; closes_at: string | null } | { kind: 'zone_mismatch'; message: string }

/**
 * An admin closes billing's open day now (SPEC §2, early close), and with it every day before
 * it billing has not closed. When billing's open day is already after today (today was closed
 * early), a second early close of the same calendar day is refused with the open day and when
 * it closes. Before billing opened any day, today is asked for.
 */
export function decideManual(calendar: Calendar, now: Date, schedule: Schedule): { request: string } | Refusal {
  const today = dayIn(schedule.timeZone, now)
  const open = calendar.openDay
  if (open !== undefined && open > today) {
    const closesAt = closingTime(schedule, open)
    return {
      kind: 'next_day_open',
      message: `${today} is closed already; billing's open day is ${open}, which closes ${closesAt ? `at ${closesAt.toISOString()}` : 'when the schedule next fires'}`,
      open_day: open,
      closes_at: closesAt?.toISOString() ?? null,
    }
  }
  return { request: open ?? today }
}

/** Whether close and billing keep the same calendar: a refusal when billing stated another zone. */
export function zoneRefusal(calendar: Calendar, timeZone: string): Refusal | undefined {
  if (calendar.zone === undefined || calendar.zone === timeZone) return undefined
  return { kind: 'zone_mismatch', message: `billing keeps its business days in ${calendar.zone} but close runs in ${timeZone}: start close with ATES_TZ=${calendar.zone}` }
}

/** How long after its scheduled close the oldest day billing has not closed is, in seconds (0 when none is late). */
export function overdueSeconds(calendar: Calendar, schedule: Schedule, now: Date): number {
  const oldest = oldestUnclosed(calendar)
  if (oldest === undefined) return 0
  const due = closingTime(schedule, oldest)
  return due && due < now ? Math.floor((now.getTime() - due.getTime()) / 1000) : 0
}

/** A request billing has not answered is asked again after 15 s, then twice as long each time, at most 10 minutes. */
export const ASK_AGAIN = { firstMs: 15_000, maxMs: 10 * 60_000 }

export function askAgainAt(requestedAt: Date, attempts: number): Date {
  return new Date(requestedAt.getTime() + backoff(attempts, ASK_AGAIN))
}

export function mailText(name: string, day: string, cents: number) {
  return {
    subject: `aTES payout for ${day}: ${dollars(cents)}`,
    text: `Hello ${name},\n\nfor your work on ${day} you were paid ${dollars(cents)}.\n\n— aTES accounting\n`,
  }
}
