// How money and days read on every page.

/** 1234 → "$12.34", -500 → "−$5.00" (a true minus sign). */
export function dollars(cents: number): string {
  const sign = cents < 0 ? '−' : ''
  const abs = Math.abs(cents)
  const whole = Math.floor(abs / 100).toLocaleString('en-US')
  return `${sign}$${whole}.${String(abs % 100).padStart(2, '0')}`
}

/** The calendar day of an instant in a time zone: 2026-11-23. */
export function dayIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)
}

/** "2026-11-23T10:05:00.000Z" → "10:05" in the business time zone. */
export function timeIn(timeZone: string, iso: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(new Date(iso))
}

/** "2026-11-23T10:05:00.000Z" → "2026-11-23 10:05" in the business time zone. */
export function momentIn(timeZone: string, iso: string): string {
  return `${dayIn(timeZone, new Date(iso))} ${timeIn(timeZone, iso)}`
}
