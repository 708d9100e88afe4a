// close's rules, pure: which business day to ask billing to close, and when.
import { Cron } from 'croner'
import { nextDay } from '../runtime/days.ts'

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
export function shouldRequest(day: string, today: string, reason: 'catch_up' | 'schedule' | 'manual'): boolean {
  return reason === 'catch_up' ? day < today : day <= today
}

/** When the schedule fires next after `from` (croner, in the business time zone). */
export function nextFiring(pattern: string, timeZone: string, from: Date): Date | null {
  return new Cron(pattern, { timezone: timeZone, paused: true }).nextRun(from)
}
