import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type Account,
  afterFailure,
  applyChange,
  clientKey,
  type Failures,
  KNOWN_ADDRESS_MS,
  loginGate,
  type LoginState,
  normalizeEmail,
  safeReturnTo,
  type Throttle,
  THROTTLES,
  waitOf,
} from './domain.ts'

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
  const T = 1_000_000
  const failed = (n: number, throttle: Throttle, from = T, every = 0): Failures | undefined => {
    let failures: Failures | undefined
    for (let i = 0; i < n; i++) failures = afterFailure(failures, throttle, from + i * every)
    return failures
  }
  const quiet: LoginState = { client: undefined, account: undefined, knownSince: undefined }

  test('the first failures are free; then each one doubles the wait, up to its cap', () => {
    const { account } = THROTTLES
    assert.equal(waitOf(failed(account.free, account), account, T), 0)
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((extra) => waitOf(failed(account.free + extra, account), account, T))
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000])
    assert.equal(waitOf(failed(account.free + 3, account), account, T + 3000), 1000, 'the wait runs from the last failure')
    assert.equal(waitOf(failed(1000, THROTTLES.client), THROTTLES.client, T), THROTTLES.client.maxDelayMs)
  })

  test('failures are forgotten after a quiet spell', () => {
    const { account } = THROTTLES
    const many = failed(account.free + 5, account)!
    assert.equal(waitOf(many, account, T + account.forgetMs), 0)
    assert.deepEqual(afterFailure(many, account, T + account.forgetMs), { count: 1, last: T + account.forgetMs })
  })

  test("a stranger's failures on an account make a new address wait a minute at most, and an address the owner logged in from not at all", () => {
    const account = failed(100, THROTTLES.account)
    assert.deepEqual(loginGate({ ...quiet, account }, T), { allowed: false, retryAfterSeconds: 60 })
    assert.deepEqual(loginGate({ ...quiet, account }, T + 60_000), { allowed: true })
    assert.deepEqual(loginGate({ ...quiet, account, knownSince: T - 3600_000 }, T), { allowed: true })
    assert.deepEqual(loginGate({ ...quiet, account, knownSince: T - KNOWN_ADDRESS_MS }, T), { allowed: false, retryAfterSeconds: 60 }, 'known for a month, not for ever')
  })

  test("a client's failures make that client wait, known address or not: spraying one beak over many accounts is slowed", () => {
    const client = failed(THROTTLES.client.free + 3, THROTTLES.client)
    assert.deepEqual(loginGate({ ...quiet, client, knownSince: T }, T), { allowed: false, retryAfterSeconds: 4 })
    assert.deepEqual(loginGate({ ...quiet, client: failed(THROTTLES.client.free, THROTTLES.client) }, T), { allowed: true })
  })

  test('a client is an IPv4 address or an IPv6 /64', () => {
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7')
    assert.equal(clientKey('2001:db8:0:12:abcd::1'), '2001:db8:0:12::/64')
    assert.equal(clientKey('2001:0db8:0000:0012:ffff:ffff:ffff:ffff'), '2001:db8:0:12::/64')
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64')
    assert.equal(clientKey('::1'), '0:0:0:0::/64')
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
