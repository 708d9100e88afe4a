// The calendar day of an instant: the day found last is reused within its second, never across.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dayIn } from './days.ts'

test('the day of an instant turns at local midnight to the millisecond, in zones asked in turn', () => {
  // Midnight in Kathmandu (+05:45) is 18:15 UTC; in Berlin in November (+01:00), 23:00 UTC.
  const asked: Array<[string, string, string]> = [
    ['Asia/Kathmandu', '2026-11-23T18:14:59.999Z', '2026-11-23'],
    ['Asia/Kathmandu', '2026-11-23T18:14:59.000Z', '2026-11-23'],
    ['Europe/Berlin', '2026-11-23T18:15:00.000Z', '2026-11-23'],
    ['Asia/Kathmandu', '2026-11-23T18:15:00.000Z', '2026-11-24'],
    ['Asia/Kathmandu', '2026-11-23T18:15:00.999Z', '2026-11-24'],
    ['Asia/Kathmandu', '2026-11-23T18:14:59.999Z', '2026-11-23'],
    ['Europe/Berlin', '2026-11-23T22:59:59.999Z', '2026-11-23'],
    ['Europe/Berlin', '2026-11-23T23:00:00.000Z', '2026-11-24'],
    ['UTC', '2026-11-23T23:00:00.000Z', '2026-11-23'],
    ['Europe/Berlin', '2026-11-23T23:00:00.500Z', '2026-11-24'],
    ['Europe/Berlin', '2026-11-23T22:59:59.500Z', '2026-11-23'],
  ]
  for (const [zone, at, day] of asked) assert.equal(dayIn(zone, new Date(at)), day, `${at} in ${zone}`)
})
