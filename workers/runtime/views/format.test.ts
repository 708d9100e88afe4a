import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dayIn } from '../days.ts'
import { dollars, momentIn, timeIn } from './format.ts'

test('dollars shows cents as dollars with a true minus sign', () => {
  assert.equal(dollars(1200), '$12.00')
  assert.equal(dollars(5), '$0.05')
  assert.equal(dollars(-1534), '−$15.34')
  assert.equal(dollars(123456789), '$1,234,567.89')
  assert.equal(dollars(0), '$0.00')
})

test('days and times are read in the business time zone', () => {
  const lateEvening = new Date('2026-11-23T23:30:00Z')
  assert.equal(dayIn('UTC', lateEvening), '2026-11-23')
  assert.equal(dayIn('Europe/Berlin', lateEvening), '2026-11-24')
  assert.equal(timeIn('Asia/Tokyo', '2026-11-23T10:05:00.000Z'), '19:05')
  assert.equal(momentIn('Europe/Berlin', '2026-11-23T23:30:00.000Z'), '2026-11-24 00:30')
})
