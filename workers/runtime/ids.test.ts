import assert from 'node:assert/strict'
import { test } from 'node:test'
import { deterministicId } from './ids.ts'

test('deterministicId is a stable v5 UUID, different for different names', () => {
  const a = deterministicId('billing.fee', 'event-1')
  assert.equal(a, deterministicId('billing.fee', 'event-1'))
  assert.notEqual(a, deterministicId('billing.fee', 'event-2'))
  assert.notEqual(a, deterministicId('billing.reward', 'event-1'))
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})
