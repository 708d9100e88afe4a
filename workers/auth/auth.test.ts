// auth through real HTTP, a real nats-server and its real SQLite file: tokens, account
// administration, the browser login. What keeps guessers out (throttling, beak hashes, the
// default admin beak) is in login.test.ts.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { importJWK, type JWK, SignJWT } from 'jose'
import { silentLogger } from '../runtime/log.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { startNats } from '../runtime/testing/nats-server.ts'
import { startTestIssuer } from '../runtime/testing/tokens.ts'
import { runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import { ADMIN, type AuthFixture, startAuth } from './testing/fixture.ts'

const run = promisify(execFile)
let f: AuthFixture
let url: string

before(async () => {
  f = await startAuth()
  url = f.url
})

after(() => f.stop())

const call = (...args: Parameters<AuthFixture['call']>) => f.call(...args)
const login = (email: string, beak: string) => f.login(email, beak)

async function accountEvents() {
  await f.worker().relay.flushed()
  const messages = await f.streams.read('ACCOUNTS')
  return messages.map((m) => ({ subject: m.subject, ...JSON.parse(m.data) }))
}

let adminToken: string

describe('login and tokens', () => {
  test('the first start created the admin and published it', async () => {
    adminToken = await login(ADMIN.email, ADMIN.beak)
    const me = await call('GET', '/api/me', undefined, adminToken)
    assert.equal(me.status, 200)
    assert.equal(me.body.email, ADMIN.email)
    assert.equal(me.body.role, 'admin')
    const events = await accountEvents()
    assert.deepEqual(
      events.map((e) => [e.subject, e.data.email, e.data.role]),
      [['accounts.created.v1', ADMIN.email, 'admin']],
    )
  })

  test('the token verifies in another process through the JWKS over HTTP', async () => {
    const response = await call('POST', '/api/login', { email: ADMIN.email.toUpperCase(), beak: ADMIN.beak })
    assert.equal(response.status, 200)
    assert.equal(response.body.token_type, 'Bearer')
    assert.equal(response.body.expires_in, 8 * 3600)
    const child = await run(process.execPath, [
      '--import',
      'tsx',
      join(import.meta.dirname, 'testing', 'verify-token.ts'),
      `${url}/.well-known/jwks.json`,
      'ates-auth',
      'ates',
      response.body.token,
    ])
    const caller = JSON.parse(child.stdout)
    assert.deepEqual(caller, { id: response.body.account.account_id, role: 'admin', name: 'Administrator' })
  })

  test('forged, unsigned, expired and foreign-audience tokens are refused', async () => {
    const issuer = await startTestIssuer()
    const foreignKey = await issuer.token({ role: 'admin' })
    await issuer.stop()
    const unsigned = [
      Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
      Buffer.from(JSON.stringify({ sub: crypto.randomUUID(), role: 'admin', name: 'x', iss: 'ates-auth', aud: 'ates', exp: 4e9 })).toString('base64url'),
      '',
    ].join('.')
    // Signed with auth's real key, read from its database, but expired or meant for someone else.
    const sqlite = new Database(join(f.dataDir, 'auth.sqlite'), { readonly: true })
    const row = sqlite.prepare('SELECT kid, private_jwk FROM signing_keys').get() as { kid: string; private_jwk: string }
    sqlite.close()
    const key = await importJWK(JSON.parse(row.private_jwk) as JWK, 'EdDSA')
    const me = (await call('GET', '/api/me', undefined, adminToken)).body
    const sign = (aud: string, exp: number) =>
      new SignJWT({ role: 'admin', name: 'x' })
        .setProtectedHeader({ alg: 'EdDSA', kid: row.kid })
        .setSubject(me.account_id)
        .setIssuer('ates-auth')
        .setAudience(aud)
        .setIssuedAt(Date.now() / 1000)
        .setExpirationTime(exp)
        .sign(key)
    const now = Math.floor(Date.now() / 1000)
    const genuine = await sign('ates', now + 600)
    assert.equal((await call('GET', '/api/me', undefined, genuine)).status, 200, 'the control token is accepted')
    for (const [what, token] of [
      ['another key', foreignKey],
      ['alg none', unsigned],
      ['expired', await sign('ates', now - 60)],
      ['wrong audience', await sign('someone-else', now + 600)],
      ['garbage', 'not.a.token'],
    ] as const) {
      const response = await call('GET', '/api/me', undefined, token)
      assert.equal(response.status, 401, what)
      assert.equal(response.body.error.code, 'unauthenticated', what)
    }
    assert.equal((await call('GET', '/api/me')).status, 401, 'no token')
  })

  test('signing keys survive a restart: a token from before still works', async () => {
    const before = await login(ADMIN.email, ADMIN.beak)
    await f.restart()
    assert.equal((await call('GET', '/api/me', undefined, before)).status, 200)
    const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as { keys: Array<{ d?: string }> }
    assert.equal(jwks.keys.length, 1)
    assert.equal(jwks.keys[0]?.d, undefined, 'no private part is published')
  })
})

describe('account administration', () => {
  test('create, role change and deactivation are published; a deactivated account cannot log in', async () => {
    const created = await call('POST', '/api/accounts', { name: 'Kesha', email: 'Kesha@ates.test', role: 'popug', beak: 'kesha-beak' }, adminToken)
    assert.equal(created.status, 201)
    assert.equal(created.body.email, 'kesha@ates.test')
    const id = created.body.account_id
    const kesha = await login('kesha@ates.test', 'kesha-beak')
    assert.equal((await call('GET', '/api/accounts', undefined, kesha)).status, 403, 'a popug is not an admin')

    assert.equal((await call('PATCH', `/api/accounts/${id}`, { role: 'manager' }, adminToken)).body.role, 'manager')
    assert.equal((await call('PATCH', `/api/accounts/${id}`, { role: 'manager' }, adminToken)).status, 200, 'no change')
    assert.equal((await call('PATCH', `/api/accounts/${id}`, { active: false }, adminToken)).body.active, false)
    const refused = await call('POST', '/api/login', { email: 'kesha@ates.test', beak: 'kesha-beak' })
    assert.equal(refused.status, 401)
    assert.equal(refused.body.error.message, 'wrong email or beak, or the account is inactive')

    const mine = (await accountEvents()).filter((e) => e.data.account_id === id)
    assert.deepEqual(
      mine.map((e) => [e.subject, e.data.role, e.data.active]),
      [
        ['accounts.created.v1', 'popug', true],
        ['accounts.updated.v1', 'manager', true],
        ['accounts.updated.v1', 'manager', false],
      ],
    )
    assert.ok(mine.every((e) => e.producer === 'auth' && e.data.email === 'kesha@ates.test' && e.data.name === 'Kesha'))
  })

  test("a deactivated admin's token creates nobody; a demoted admin's token stops counting, a new login counts", async () => {
    const hire = async (name: string) => {
      const made = await call('POST', '/api/accounts', { name, email: `${name}@ates.test`, role: 'admin', beak: `${name}-beak-123` }, adminToken)
      assert.equal(made.status, 201)
      return { id: made.body.account_id as string, token: await login(`${name}@ates.test`, `${name}-beak-123`) }
    }
    const gone = await hire('gone')
    const demoted = await hire('demoted')
    assert.equal((await call('GET', '/api/accounts', undefined, gone.token)).status, 200, 'the control: both are admins')
    assert.equal((await call('PATCH', `/api/accounts/${gone.id}`, { active: false }, adminToken)).status, 200)
    assert.equal((await call('PATCH', `/api/accounts/${demoted.id}`, { role: 'popug' }, adminToken)).status, 200)

    const before = (await call('GET', '/api/accounts', undefined, adminToken)).body.accounts.length
    const comeback = await call('POST', '/api/accounts', { name: 'Back door', email: 'backdoor@ates.test', role: 'admin', beak: 'backdoor-123' }, gone.token)
    assert.equal(comeback.status, 401)
    assert.match(comeback.body.error.message, /no longer counts \(the account is inactive\)/)
    assert.equal((await call('GET', '/api/accounts', undefined, adminToken)).body.accounts.length, before, 'nobody was created')

    const old = await call('GET', '/api/me', undefined, demoted.token)
    assert.equal(old.status, 401)
    assert.match(old.body.error.message, /changed after this token was issued/)
    const fresh = await login('demoted@ates.test', 'demoted-beak-123')
    assert.equal((await call('GET', '/api/me', undefined, fresh)).body.role, 'popug')
    assert.equal((await call('GET', '/api/accounts', undefined, fresh)).status, 403, 'as the popug it now is')
  })

  test('invalid bodies get 400/422 and create nothing; duplicates 409; unknown 404', async () => {
    const before = (await call('GET', '/api/accounts', undefined, adminToken)).body.accounts.length
    const eventsBefore = (await accountEvents()).length
    assert.equal((await call('POST', '/api/accounts', '{"name": "x",', adminToken)).status, 400)
    for (const body of [
      { name: 'x', email: 'not-an-email', role: 'popug', beak: 'long-enough' },
      { name: 'x', email: 'x@ates.test', role: 'emperor', beak: 'long-enough' },
      { name: 'x', email: 'x@ates.test', role: 'popug', beak: 'short' },
      { name: '', email: 'x@ates.test', role: 'popug', beak: 'long-enough' },
      { name: 'x', email: 'x@ates.test', role: 'popug', beak: 'long-enough', admin: true },
    ]) {
      const response = await call('POST', '/api/accounts', body, adminToken)
      assert.equal(response.status, 422, JSON.stringify(body))
      assert.equal(response.body.error.code, 'invalid')
    }
    assert.equal((await call('POST', '/api/accounts', { name: 'Dup', email: ADMIN.email, role: 'popug', beak: 'long-enough' }, adminToken)).status, 409)
    assert.equal((await call('PATCH', `/api/accounts/${crypto.randomUUID()}`, { active: false }, adminToken)).status, 404)
    assert.equal((await call('PATCH', `/api/accounts/${crypto.randomUUID()}`, {}, adminToken)).status, 422)
    assert.equal((await call('GET', '/api/accounts', undefined, adminToken)).body.accounts.length, before)
    assert.equal((await accountEvents()).length, eventsBefore)
  })

})

describe('browser login', () => {
  const form = (fields: Record<string, string>, origin = url) =>
    fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams(fields),
    })

  test('sets an HttpOnly SameSite=Lax cookie and returns only to our own pages', async () => {
    const ok = await form({ email: ADMIN.email, beak: ADMIN.beak, return_to: 'http://127.0.0.1:3901/?status=open' })
    assert.equal(ok.status, 303)
    assert.equal(ok.headers.get('location'), 'http://127.0.0.1:3901/?status=open')
    const cookie = ok.headers.get('set-cookie') ?? ''
    assert.match(cookie, /^ates_token=[\w-]+\.[\w-]+\.[\w-]+;/)
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Lax/)
    const page = await fetch(`${url}/`, { headers: { cookie: cookie.split(';')[0]! } })
    assert.equal(page.status, 200)
    assert.match(await page.text(), /Employees/)

    for (const evil of ['https://evil.example/', '//evil.example/x', '/\\evil.example']) {
      const response = await form({ email: ADMIN.email, beak: ADMIN.beak, return_to: evil })
      assert.equal(response.headers.get('location'), '/', evil)
    }
  })

  test('a wrong beak shows the form again with 401; posts from other sites are refused', async () => {
    const wrong = await form({ email: ADMIN.email, beak: 'nope', return_to: '/' })
    assert.equal(wrong.status, 401)
    assert.match(await wrong.text(), /Wrong email or beak/)
    assert.equal((await form({ email: ADMIN.email, beak: ADMIN.beak }, 'https://evil.example')).status, 403)
    const anonymous = await fetch(`${url}/`, { redirect: 'manual' })
    assert.equal(anonymous.status, 303)
    assert.match(anonymous.headers.get('location') ?? '', /\/login\?return_to=/)
  })

  test("the admin's cookie creates nobody from another site or another port; JSON APIs want JSON", async () => {
    const loggedIn = await form({ email: ADMIN.email, beak: ADMIN.beak, return_to: '/' })
    const cookie = (loggedIn.headers.get('set-cookie') ?? '').split(';')[0]!
    const count = async () => (await call('GET', '/api/accounts', undefined, adminToken)).body.accounts.length
    const before = await count()
    const attempt = (headers: Record<string, string>, email: string, method = 'POST', path = '/api/accounts') =>
      fetch(`${url}${path}`, { method, headers: { cookie, ...headers }, body: JSON.stringify({ name: 'Mallory', email, role: 'admin', beak: 'mallory-beak' }) })

    for (const [origin, type] of [
      ['http://127.0.0.1:9999', 'text/plain'],
      ['http://127.0.0.1:9999', 'application/json'],
      ['https://evil.example', 'application/x-www-form-urlencoded'],
    ]) {
      const refused = await attempt({ origin: origin!, 'content-type': type! }, 'mallory@ates.test')
      assert.equal(refused.status, 403, `${origin} ${type}`)
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'cross_site')
    }
    const spare = (await call('GET', '/api/accounts', undefined, adminToken)).body.accounts.find((a: { email: string }) => a.email === 'kesha@ates.test')
    assert.equal((await attempt({ 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, '', 'PATCH', `/api/accounts/${spare.account_id}`)).status, 403)
    assert.equal(await count(), before, 'nobody was created')

    assert.equal((await attempt({ origin: url, 'content-type': 'application/json' }, 'ours@ates.test')).status, 201, 'the control: from our own page')
    const asText = await fetch(`${url}/api/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'Text', email: 'text@ates.test', role: 'popug', beak: 'text-beak-123' }),
    })
    assert.equal(asText.status, 415)
    assert.deepEqual(await asText.json(), { error: { code: 'unsupported_media_type', message: 'this API takes JSON: send the body as JSON with content-type: application/json' } })
    assert.equal(await count(), before + 1)
  })

  test('the cookie is Secure when auth is reached over https', async () => {
    // A second auth on the same broker would be a standby (one lease per worker): this one has its own.
    const other = tempDir()
    const nats = await startNats()
    const secure = await runWorker(definition(), { ...f.env, ATES_NATS_URL: nats.url, ATES_DATA_DIR: other.path, ATES_AUTH_PORT: '0', ATES_AUTH_URL: 'https://ates.example' }, { log: silentLogger })
    try {
      const response = await fetch(`${secure.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://ates.example' },
        body: new URLSearchParams({ email: ADMIN.email, beak: ADMIN.beak }),
      })
      assert.equal(response.status, 303)
      assert.match(response.headers.get('set-cookie') ?? '', /; Secure/)
      assert.doesNotMatch((await form({ email: ADMIN.email, beak: ADMIN.beak })).headers.get('set-cookie') ?? '', /Secure/, 'not over plain http')
    } finally {
      await secure.stop()
      await nats.stop()
      other.remove()
    }
  })

  test('HTML input is shown escaped', async () => {
    await call('POST', '/api/accounts', { name: '<script>alert(1)</script>', email: 'xss@ates.test', role: 'popug', beak: 'long-enough' }, adminToken)
    const html = await (await fetch(`${url}/`, { headers: { authorization: `Bearer ${adminToken}` } })).text()
    assert.ok(!html.includes('<script>alert(1)</script>'))
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
  })
})
