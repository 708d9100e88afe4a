import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isUuid } from '../../contracts/formats.ts'
import { deterministicId } from '../../contracts/derived-ids.ts'
import { timeOrderedId } from './ids.ts'

test('deterministicId is a stable v5 UUID, different for different names', () => {
  const a = deterministicId('billing.fee', 'event-1')
  assert.equal(a, deterministicId('billing.fee', 'event-1'))
  assert.notEqual(a, deterministicId('billing.fee', 'event-2'))
  assert.notEqual(a, deterministicId('billing.reward', 'event-1'))
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})

test('timeOrderedId is a v7 UUID: ids of later milliseconds sort after earlier ones, and ids differ', () => {
  const at = Date.parse('2026-11-25T10:00:00.000Z')
  const ids = Array.from({ length: 1000 }, (_, i) => timeOrderedId(at + Math.floor(i / 10)))
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    assert.ok(isUuid(id))
  }
  assert.equal(new Set(ids).size, ids.length)
  for (let i = 10; i < ids.length; i += 10) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} sorts before ${ids[i]}`)
  // The first 48 bits are the milliseconds.
  assert.equal(Number.parseInt(ids[0]!.replace('-', '').slice(0, 12), 16), at)
  assert.notEqual(timeOrderedId(), timeOrderedId())
})

test('deterministicId named after a time-ordered id keeps its milliseconds, is version 8, and is stable', () => {
  const early = timeOrderedId(Date.parse('2026-11-25T10:00:00.000Z'))
  const late = timeOrderedId(Date.parse('2026-11-25T10:00:00.001Z'))
  const a = deterministicId('billing.assign_fee', early)
  assert.equal(a, deterministicId('billing.assign_fee', early))
  assert.notEqual(a, deterministicId('billing.completion_reward', early))
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(a.slice(0, 13), early.slice(0, 13))
  assert.ok(a < deterministicId('billing.assign_fee', late))
  // Derived again from a derived id (a transaction's applied event): the same milliseconds.
  assert.equal(deterministicId('billing.transaction_applied', a).slice(0, 13), early.slice(0, 13))
  // Ids derived from anything else stay exactly what they were before (pinned values).
  assert.equal(deterministicId('billing.assign_fee', '1b4e28ba-2fa1-41d2-883f-0016d3cca427'), 'baa5fde7-9f4c-522c-9ad3-2ac79d40e921')
  assert.equal(deterministicId('billing.fee', 'event-1'), 'dbe88da0-8712-5fbd-990c-5a0520913251')
})
