// What keeps beak guessers out of auth, through real HTTP and auth's real SQLite file:
// throttling by client address and by account, beak hashes at today's cost (old ones replaced
// at the next login), and no admin with the public default beak outside make up.
import assert from 'node:assert/strict'
import { randomBytes, scryptSync } from 'node:crypto'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { silentLogger } from '../runtime/log.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { startNats } from '../runtime/testing/nats-server.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import type { DB } from './store.ts'
import { ADMIN, type AuthFixture, startAuth } from './testing/fixture.ts'

let f: AuthFixture
let adminToken: string

before(async () => {
  f = await startAuth()
  adminToken = await f.login(ADMIN.email, ADMIN.beak)
})

after(() => f.stop())

const call = (...args: Parameters<AuthFixture['call']>) => f.call(...args)

describe('beak hashes', () => {
  test('a beak hashed the old way (scrypt$salt$hash, N=2^14) still logs in, and that login stores it at today\'s cost', async () => {
    const made = await call('POST', '/api/accounts', { name: 'Old Timer', email: 'old@ates.test', role: 'popug', beak: 'old-timer-beak' }, adminToken)
    assert.equal(made.status, 201)
    assert.match(f.beakHashOf('old@ates.test'), /^scrypt\$32768\$8\$3\$/, 'new accounts get today\'s cost')
    const salt = randomBytes(16)
    const old = `scrypt$${salt.toString('base64')}$${scryptSync('old-timer-beak', salt, 32, { N: 2 ** 14, r: 8, p: 1 }).toString('base64')}`
    const sqlite = new Database(join(f.dataDir, 'auth.sqlite'))
    sqlite.prepare('UPDATE accounts SET beak_hash = ? WHERE email = ?').run(old, 'old@ates.test')
    sqlite.close()

    assert.equal((await call('POST', '/api/login', { email: 'old@ates.test', beak: 'wrong-beak' })).status, 401)
    assert.equal(f.beakHashOf('old@ates.test'), old, 'a wrong beak changes nothing')
    assert.equal((await call('POST', '/api/login', { email: 'old@ates.test', beak: 'old-timer-beak' })).status, 200)
    const upgraded = f.beakHashOf('old@ates.test')
    assert.match(upgraded, /^scrypt\$32768\$8\$3\$[\w+/]+=*\$[\w+/]+=*$/)
    assert.equal((await call('POST', '/api/login', { email: 'old@ates.test', beak: 'old-timer-beak' })).status, 200, 'the new hash logs in')
    assert.equal(f.beakHashOf('old@ates.test'), upgraded, 'and is kept')
  })
})

describe('login throttling', () => {
  // The test talks to auth through 127.0.0.1, which it names a trusted proxy: X-Forwarded-For
  // then says which client each request stands for.
  const loginFrom = async (client: string, email: string, beak: string) => {
    const response = await fetch(`${f.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ email, beak }),
    })
    return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0) }
  }

  test("a stranger's wrong beaks slow the stranger and the account for a while, but never keep the owner out", async (t) => {
    await call('POST', '/api/accounts', { name: 'Gosha', email: 'gosha@ates.test', role: 'popug', beak: 'gosha-beak' }, adminToken)
    f.clock.stop()
    t.after(() => f.clock.run())
    assert.equal((await loginFrom('198.51.100.10', 'gosha@ates.test', 'gosha-beak')).status, 200, "the owner's usual address")
    const stranger: number[] = []
    for (let i = 0; i < 8; i++) stranger.push((await loginFrom('203.0.113.66', 'gosha@ates.test', `wrong-${i}`)).status)
    assert.deepEqual(stranger, [401, 401, 401, 401, 401, 401, 429, 429], 'five free failures, then the account waits')

    assert.equal((await loginFrom('198.51.100.10', 'gosha@ates.test', 'gosha-beak')).status, 200, 'the owner, from an address it logged in from')
    const elsewhere = await loginFrom('198.51.100.77', 'gosha@ates.test', 'gosha-beak')
    assert.equal(elsewhere.status, 429, 'from a new address the owner waits too, briefly')
    assert.ok(elsewhere.retryAfter >= 1 && elsewhere.retryAfter <= 60, `Retry-After ${elsewhere.retryAfter}`)
    f.clock.move(elsewhere.retryAfter * 1000)
    assert.equal((await loginFrom('198.51.100.77', 'gosha@ates.test', 'gosha-beak')).status, 200, 'a delay, not a lock')
    assert.equal((await loginFrom('198.51.100.3', ADMIN.email, ADMIN.beak)).status, 200, 'other accounts are not affected')
  })

  test('one address spraying a beak over many accounts is slowed after ten failures; other addresses are not', async (t) => {
    f.clock.stop()
    t.after(() => f.clock.run())
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) statuses.push((await loginFrom('203.0.113.99', `nobody-${i}@ates.test`, 'Summer2026!')).status)
    assert.deepEqual(statuses, [...Array<number>(10).fill(401), 401, 429])
    assert.equal((await loginFrom('203.0.113.99', ADMIN.email, ADMIN.beak)).status, 429, 'even a right beak waits, from that address')
    assert.equal((await loginFrom('203.0.113.100', ADMIN.email, ADMIN.beak)).status, 200)
    // Without a trusted proxy in between, a client cannot pick the address it is counted under.
    const direct = await fetch(`${f.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1, 203.0.113.100' },
      body: JSON.stringify({ email: ADMIN.email, beak: ADMIN.beak }),
    })
    assert.equal(direct.status, 200)
  })
})

describe('the default admin beak', () => {
  test('auth refuses it outside make up, and a beak given later replaces it', async () => {
    // Its own broker: a second auth on f's would wait as a standby behind f's lease.
    const own = tempDir()
    const nats = await startNats()
    const bare = { ...f.env, ATES_NATS_URL: nats.url, ATES_DATA_DIR: own.path, ATES_AUTH_PORT: '0', ATES_ADMIN_EMAIL: 'first@ates.test', ATES_ADMIN_BEAK: '' }
    const run = (extra: Record<string, string>) => runWorker(definition(), { ...bare, ...extra }, { log: silentLogger })
    const loginAt = (worker: RunningWorker<DB>, beak: string) =>
      fetch(`${worker.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'first@ates.test', beak }) })
    try {
      await assert.rejects(run({}), /set ATES_ADMIN_BEAK: the first admin \(first@ates\.test\) would get the public default beak/)
      await assert.rejects(run({ ATES_ADMIN_BEAK: 'admin-beak' }), /would get the public default beak/, 'the default, spelt out')

      const local = await run({ ATES_ALLOW_DEFAULT_ADMIN_BEAK: '1' })
      assert.equal((await loginAt(local, 'admin-beak')).status, 200, 'make up may')
      await local.stop()

      await assert.rejects(run({}), /first@ates\.test still logs in with the public default beak/)
      const deployed = await run({ ATES_ADMIN_BEAK: 'a-real-secret-beak' })
      assert.equal((await loginAt(deployed, 'admin-beak')).status, 401, 'the default is gone')
      assert.equal((await loginAt(deployed, 'a-real-secret-beak')).status, 200)
      await deployed.stop()
      const again = await run({})
      assert.equal((await loginAt(again, 'a-real-secret-beak')).status, 200, 'once replaced, auth starts without the variable')
      await again.stop()
    } finally {
      await nats.stop()
      own.remove()
    }
  })
})
