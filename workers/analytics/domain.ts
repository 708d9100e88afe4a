// analytics' calendar, pure: the days of a day, ISO week or month around a date.

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

