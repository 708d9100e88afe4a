// close's rules, pure: which business day to ask billing to close, and when; what a payout
// e-mail says.
import { Cron } from 'croner'
import { nextDay } from '../runtime/days.ts'
import { dollars } from '../runtime/views/format.ts'

export type Reason = 'catch_up' | 'schedule' | 'manual'

/**
 * The day to close next: the one after the last day billing reported closed, or the day
 * close first ran when nothing was ever closed. Billing closes one day per request, in order.
 */
export function dayToClose(lastClosed: string | undefined, firstDay: string): string {
  return lastClosed ? nextDay(lastClosed) : firstDay
}

/**
 * Whether to request it now: a day that has ended (before today, in the business zone) is
 * requested at once (catch-up after downtime); the schedule firing, or an admin, closes the
 * current day as well.
 */
export function shouldRequest(day: string, today: string, reason: Reason): boolean {
  return reason === 'catch_up' ? day < today : day <= today
}

/** What a close asked for now decides: a new request for a day, the one already asked, or none. */
export type RequestDecision = { request: 'new' | 'already'; day: string } | { request: 'none' }

export function decideRequest(state: { lastClosed: string | undefined; firstDay: string; requested: (day: string) => boolean }, today: string, reason: Reason): RequestDecision {
  const day = dayToClose(state.lastClosed, state.firstDay)
  if (!shouldRequest(day, today, reason)) return { request: 'none' }
  return { request: state.requested(day) ? 'already' : 'new', day }
}

/** When the schedule fires next after `from` (croner, in the business time zone). */
export function nextFiring(pattern: string, timeZone: string, from: Date): Date | null {
  return new Cron(pattern, { timezone: timeZone, paused: true }).nextRun(from)
}

export function mailText(name: string, day: string, cents: number) {
  return {
    subject: `aTES payout for ${day}: ${dollars(cents)}`,
    text: `Hello ${name},\n\nfor your work on ${day} you were paid ${dollars(cents)}.\n\n— aTES accounting\n`,
  }
}
