// How money and days read on every page.
import { dayIn } from '../days.ts'

/** 1234 → "$12.34", -500 → "−$5.00" (a true minus sign). */
export function dollars(cents: number): string {
  const sign = cents < 0 ? '−' : ''
  const abs = Math.abs(cents)
  const whole = Math.floor(abs / 100).toLocaleString('en-US')
  return `${sign}$${whole}.${String(abs % 100).padStart(2, '0')}`
}

const clocks = new Map<string, Intl.DateTimeFormat>()

/** "2026-11-23T10:05:00.000Z" → "10:05" in the business time zone. */
export function timeIn(timeZone: string, iso: string): string {
  let clock = clocks.get(timeZone)
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' })
    clocks.set(timeZone, clock)
  }
  return clock.format(new Date(iso))
}

/** "2026-11-23T10:05:00.000Z" → "2026-11-23 10:05" in the business time zone. */
export function momentIn(timeZone: string, iso: string): string {
  return `${dayIn(timeZone, new Date(iso))} ${timeIn(timeZone, iso)}`
}
