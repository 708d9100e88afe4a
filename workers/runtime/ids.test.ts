import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isUuid } from '../../contracts/formats.ts'
import { deterministicId, timeOrderedId } from './ids.ts'

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
