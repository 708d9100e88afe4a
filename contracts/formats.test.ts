import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Format, IsDateTime, IsUuid } from 'typebox/format'
import { Compile } from 'typebox/compile'
import { Timestamp, Uuid } from './common.ts'
import { isDateTime, isUuid } from './formats.ts'

// A seeded generator: the same strings on every run, so a difference can be reproduced.
function generator(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
  return { next, pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]! }
}

const { next, pick } = generator(20261125)
// Characters that matter to either check, and a few that must never pass.
const CHARS = [...'0123456789abcdefABCDEFgGzZtT-:.+[]/ xé٣', '\n', '\u0000']

/** Starts from a valid string and changes, drops or inserts a few characters. */
function mutate(valid: string): string {
  let s = valid
  const edits = Math.floor(next() * 3)
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (s.length + 1))
    const kind = next()
    if (kind < 0.6) s = s.slice(0, at) + pick(CHARS) + s.slice(at + 1)
    else if (kind < 0.8) s = s.slice(0, at) + s.slice(at + 1)
    else s = s.slice(0, at) + pick(CHARS) + s.slice(at)
  }
  return s
}

function randomInstant(): string {
  // Any moment from year 1 to 9999, including 29 February and the last milliseconds of a day.
  const ms = Math.floor(next() * (253402300799999 + 62135596800000)) - 62135596800000
  return new Date(ms).toISOString()
}

function randomUuid(): string {
  const hex = Array.from({ length: 32 }, () => pick([...'0123456789abcdefABCDEF'])).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

test('the uuid check accepts exactly what typebox accepts', () => {
  const samples = ['', crypto.randomUUID(), crypto.randomUUID().toUpperCase(), '00000000-0000-0000-0000-000000000000', `${crypto.randomUUID()}\n`, ` ${crypto.randomUUID()}`]
  for (let i = 0; i < 200_000; i++) samples.push(next() < 0.3 ? randomUuid() : mutate(randomUuid()))
  let accepted = 0
  for (const s of samples) {
    assert.equal(isUuid(s), IsUuid(s), JSON.stringify(s))
    if (IsUuid(s)) accepted++
  }
  assert.ok(accepted > 50_000 && accepted < samples.length - 50_000, `both kinds were tried (${accepted} accepted)`)
})

test('the date-time check accepts exactly what typebox accepts', () => {
  const samples = [
    '2024-02-29T12:00:00.000Z',
    '2023-02-29T12:00:00.000Z',
    '1900-02-29T00:00:00.000Z',
    '2000-02-29T00:00:00.000Z',
    '2026-11-23T23:59:60.000Z',
    '2026-12-31T23:59:60.000Z',
    '2026-11-23T24:00:00.000Z',
    '2026-11-23t09:15:00.000z',
    '2026-11-23T09:15:00Z',
    '2026-11-23T09:15:00.123456+05:30',
    '2026-11-23T09:15:00.000Z[Europe/Paris]',
    '2026-11-23 09:15:00.000Z',
    '0000-01-01T00:00:00.000Z',
  ]
  for (let i = 0; i < 200_000; i++) samples.push(next() < 0.3 ? randomInstant() : mutate(randomInstant()))
  let accepted = 0
  for (const s of samples) {
    assert.equal(isDateTime(s), IsDateTime(s), JSON.stringify(s))
    if (IsDateTime(s)) accepted++
  }
  assert.ok(accepted > 50_000 && accepted < samples.length - 50_000, `both kinds were tried (${accepted} accepted)`)
})

test('the contracts compile with these checks', () => {
  assert.equal(Format.Get('uuid'), isUuid)
  assert.equal(Format.Get('date-time'), isDateTime)
  const uuid = Compile(Uuid)
  const timestamp = Compile(Timestamp)
  assert.equal(uuid.Check(crypto.randomUUID()), true)
  assert.equal(uuid.Check('not-a-uuid'), false)
  assert.equal(timestamp.Check(new Date().toISOString()), true)
  assert.equal(timestamp.Check('2026-02-30T00:00:00.000Z'), false)
})
