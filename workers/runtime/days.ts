// Calendar arithmetic on business days, written YYYY-MM-DD.

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
