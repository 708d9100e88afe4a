// The business calendar: days are written YYYY-MM-DD, and business day D is calendar day D in
// the business time zone (ATES_TZ).

// A formatter is costly to make (tens of microseconds) and cheap to use: one per zone, with the
// last day it gave and that instant's second. A worker asks for the day of its clock once per
// event handled, thousands of times a second, and a zone's offset is a whole number of seconds
// (also the old local mean times), so every instant of one second falls on the same day.
const zones = new Map<string, { format: Intl.DateTimeFormat; second: number; day: string }>()

/** The calendar day of an instant in a time zone: 2026-11-23. */
export function dayIn(timeZone: string, at: Date): string {
  const second = Math.floor(at.getTime() / 1000)
  let zone = zones.get(timeZone)
  if (zone?.second === second) return zone.day
  if (!zone) {
    zone = { format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }), second: Number.NaN, day: '' }
    zones.set(timeZone, zone)
  }
  zone.day = zone.format.format(at)
  zone.second = second
  return zone.day
}

/** The day n calendar days after (or, negative, before) a YYYY-MM-DD day. */
export function addDays(day: string, n: number): string {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + n)
  return date.toISOString().slice(0, 10)
}

/** The calendar day after a YYYY-MM-DD day. */
export function nextDay(day: string): string {
  return addDays(day, 1)
}

/** The longest range of days a report may ask for. */
export const MAX_RANGE_DAYS = 366

export type DayRange = { from: string; to: string }
export type RangeRefusal = { kind: 'invalid_range'; message: string }

/**
 * The days a report covers: `to` defaults to `today`, `from` to `defaultDays` − 1 days before
 * `to`. A range that runs backwards or spans more than MAX_RANGE_DAYS is refused.
 */
export function dayRange(asked: { from?: string | undefined; to?: string | undefined }, today: string, defaultDays: number): DayRange | RangeRefusal {
  const to = asked.to ?? today
  const from = asked.from ?? addDays(to, -(defaultDays - 1))
  if (from > to) return { kind: 'invalid_range', message: 'from must not be after to' }
  if (addDays(from, MAX_RANGE_DAYS) <= to) return { kind: 'invalid_range', message: `the range may span at most ${MAX_RANGE_DAYS} days` }
  return { from, to }
}

/** Every day of a range, in order. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = []
  for (let day = range.from; day <= range.to; day = nextDay(day)) days.push(day)
  return days
}
