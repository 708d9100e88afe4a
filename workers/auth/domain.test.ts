import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Account, afterFailure, applyChange, loginGate, noAttempts, normalizeEmail, safeReturnTo, THROTTLE } from './domain.ts'

const kesha: Account = { account_id: 'a1', name: 'Kesha', email: 'kesha@ates.local', role: 'popug', active: true }

describe('account changes', () => {
  test('given an account, when nothing changes, then there is no new snapshot', () => {
    assert.equal(applyChange(kesha, {}), undefined)
    assert.equal(applyChange(kesha, { name: 'Kesha', role: 'popug', active: true }), undefined)
  })
  test('given an account, when the role changes, then the snapshot has the new role and the rest', () => {
    assert.deepEqual(applyChange(kesha, { role: 'manager' }), { ...kesha, role: 'manager' })
  })
  test('emails compare case-insensitively', () => assert.equal(normalizeEmail('  Kesha@ATES.local '), 'kesha@ates.local'))
})

describe('login throttling', () => {
  test(`given ${THROTTLE.maxFailures - 1} failures, a login is still allowed`, () => {
    let attempts = noAttempts
    for (let i = 0; i < THROTTLE.maxFailures - 1; i++) attempts = afterFailure(attempts, 1000 + i)
    assert.deepEqual(loginGate(attempts, 2000), { allowed: true })
  })
  test(`given ${THROTTLE.maxFailures} failures within the window, logins are refused until the lock ends`, () => {
    let attempts = noAttempts
    for (let i = 0; i < THROTTLE.maxFailures; i++) attempts = afterFailure(attempts, 1000 + i)
    assert.deepEqual(loginGate(attempts, 1004), { allowed: false, retryAfterSeconds: THROTTLE.lockMs / 1000 })
    assert.deepEqual(loginGate(attempts, 1004 + THROTTLE.lockMs), { allowed: true })
  })
  test('failures older than the window are forgotten', () => {
    let attempts = noAttempts
    for (let i = 0; i < THROTTLE.maxFailures - 1; i++) attempts = afterFailure(attempts, i)
    attempts = afterFailure(attempts, THROTTLE.windowMs + 10)
    assert.deepEqual(loginGate(attempts, THROTTLE.windowMs + 11), { allowed: true })
  })
})

describe('where a login returns to', () => {
  const origins = ['http://localhost:3001', 'http://localhost:3002']
  const cases: Array<[string | undefined, string]> = [
    [undefined, '/'],
    ['/', '/'],
    ['/accounts?x=1', '/accounts?x=1'],
    ['http://localhost:3001/tasks?status=open', 'http://localhost:3001/tasks?status=open'],
    ['https://evil.example/steal', '/'],
    ['//evil.example/steal', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['http://localhost:3001.evil.example/', '/'],
    ['http://localhost:9999/', '/'],
  ]
  for (const [raw, expected] of cases) test(`${raw ?? '(none)'} → ${expected}`, () => assert.equal(safeReturnTo(raw, origins), expected))
})
