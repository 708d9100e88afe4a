// The two formats every event carries several of, uuid and date-time, checked without
// typebox's regular expressions: a replay checks millions of them. Each accepts exactly what
// typebox's own check accepts (formats.test.ts compares them). They are registered when this
// module loads, before any schema is compiled: a compiled validator keeps the check it found.
import { Format, IsDateTime } from 'typebox/format'

/** 1 for each character code of a hex digit, either case. */
const HEX = new Uint8Array(128)
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1

/** typebox's /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i, one character at a time. */
export function isUuid(value: string): boolean {
  if (value.length !== 36) return false
  // A replay checks four or five of them per event: the dashes by position, the rest by a table.
  if (value.charCodeAt(8) !== 0x2d || value.charCodeAt(13) !== 0x2d || value.charCodeAt(18) !== 0x2d || value.charCodeAt(23) !== 0x2d) return false
  for (let i = 0; i < 36; i++) {
    if (i === 8 || i === 13 || i === 18 || i === 23) continue
    const c = value.charCodeAt(i)
    if (c >= 128 || HEX[c] !== 1) return false
  }
  return true
}

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function digits(value: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * What Date#toISOString writes, e.g. 2026-11-23T09:15:00.000Z, and a valid moment: every such
 * string is one typebox accepts. A leap second (:60) and every other shape are left to it.
 */
function isIsoInstant(v: string): boolean {
  if (v.length !== 24 || v[4] !== '-' || v[7] !== '-' || v[10] !== 'T' || v[13] !== ':' || v[16] !== ':' || v[19] !== '.' || v[23] !== 'Z') return false
  const year = digits(v, 0, 4)
  const month = digits(v, 5, 7)
  const day = digits(v, 8, 10)
  const hour = digits(v, 11, 13)
  const minute = digits(v, 14, 16)
  const second = digits(v, 17, 19)
  if (year < 0 || digits(v, 20, 23) < 0 || month < 1 || month > 12 || day < 1) return false
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  if (day > (month === 2 && leap ? 29 : DAYS[month]!)) return false
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
}

/** typebox's RFC 3339 date-time, with the shape producers write checked first and cheaply. */
export function isDateTime(value: string): boolean {
  return isIsoInstant(value) || IsDateTime(value)
}

Format.Set('uuid', isUuid)
Format.Set('date-time', isDateTime)
