import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Hono } from 'hono'
import { base64url } from 'jose'
import type { Access } from './access.ts'
import { type AuthEnv, authenticate, authOptions, ownPagesOnly, requireRole } from './auth.ts'
import { loadConfig } from './config.ts'
import { notFound, onError } from './http.ts'
import { silentLogger } from './log.ts'
import { startTestIssuer, type TestIssuer } from './testing/tokens.ts'

let issuer: TestIssuer
let foreign: TestIssuer
let app: Hono<AuthEnv>
/** Accounts the test's Access says no longer stand as their tokens say. */
const stale = new Set<string>()
const access: Access = (token) => (stale.has(token.id) ? 'the account is inactive' : undefined)

before(async () => {
  issuer = await startTestIssuer()
  foreign = await startTestIssuer() // same issuer name and audience, another key
  app = new Hono<AuthEnv>()
  app.onError(onError(silentLogger))
  app.notFound(notFound)
  app.use(
    '*',
    authenticate({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
      loginUrl: 'http://auth.example/login',
      selfUrl: 'http://tasks.example',
      access,
    }),
  )
  app.get('/api/me', (c) => c.json(c.get('caller')))
  app.get('/api/managers-only', requireRole('manager', 'admin'), (c) => c.json({ ok: true }))
  app.get('/', (c) => c.html('<p>dashboard</p>'))
})

after(async () => {
  await issuer.stop()
  await foreign.stop()
})

const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
  app.request(path, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })

describe('JWT middleware against a JWKS served over HTTP', () => {
  test('a valid token identifies the caller', async () => {
    const id = crypto.randomUUID()
    const response = await get('/api/me', await issuer.token({ id, role: 'popug', name: 'Kesha' }))
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), { id, role: 'popug', name: 'Kesha' })
  })

  test('the ates_token cookie works like the header', async () => {
    const token = await issuer.token({ role: 'popug' })
    const response = await get('/api/me', undefined, { cookie: `ates_token=${token}` })
    assert.equal(response.status, 200)
  })

  const refusals: Array<[string, () => Promise<string | undefined>]> = [
    ['no token', async () => undefined],
    ['a token signed by another key', () => foreign.token({ role: 'admin' })],
    ['an expired token', () => issuer.token({ role: 'admin' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['a token for another audience', () => issuer.token({ role: 'admin' }, { audience: 'someone-else' })],
    [
      'an unsigned token (alg: none)',
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))
        const claims = base64url.encode(
          JSON.stringify({
            sub: crypto.randomUUID(),
            role: 'admin',
            name: 'Mallory',
            iss: issuer.issuer,
            aud: issuer.audience,
            exp: Math.floor(Date.now() / 1000) + 3600,
          }),
        )
        return `${header}.${claims}.`
      },
    ],
    ['garbage', async () => 'not.a.token'],
  ]
  for (const [what, token] of refusals) {
    test(`refuses ${what} with 401 JSON on API routes`, async () => {
      const response = await get('/api/me', await token())
      assert.equal(response.status, 401)
      const body = (await response.json()) as { error: { code: string } }
      assert.equal(body.error.code, 'unauthenticated')
    })
  }

  test('pages send an anonymous browser to the login page and back', async () => {
    const response = await get('/?day=2026-11-23')
    assert.equal(response.status, 303)
    assert.equal(
      response.headers.get('location'),
      `http://auth.example/login?return_to=${encodeURIComponent('http://tasks.example/?day=2026-11-23')}`,
    )
  })

  test('a token its Access refuses is refused at once, though its signature was remembered', async () => {
    const id = crypto.randomUUID()
    const token = await issuer.token({ id, role: 'manager' })
    assert.equal((await get('/api/me', token)).status, 200)
    stale.add(id)
    const refused = await get('/api/me', token)
    assert.equal(refused.status, 401)
    assert.match(((await refused.json()) as { error: { message: string } }).error.message, /no longer counts \(the account is inactive\)/)
    const page = await get('/', token)
    assert.equal(page.status, 303, 'a page sends the browser to log in again')
    assert.match(page.headers.get('location') ?? '', /^http:\/\/auth\.example\/login\?return_to=/)
  })

  test('requireRole answers 403 to other roles', async () => {
    assert.equal((await get('/api/managers-only', await issuer.token({ role: 'popug' }))).status, 403)
    assert.equal((await get('/api/managers-only', await issuer.token({ role: 'accountant' }))).status, 403)
    assert.equal((await get('/api/managers-only', await issuer.token({ role: 'manager' }))).status, 200)
  })
})

describe('auth options from the configuration', () => {
  test("keys come from auth's public URL, or from ATES_AUTH_JWKS_URL inside a container network", async () => {
    const local = authOptions({ config: loadConfig({ ATES_AUTH_URL: 'http://localhost:3000' }), name: 'tasks', access })
    assert.equal(local.jwksUrl, 'http://localhost:3000/.well-known/jwks.json')
    // A browser is still sent to the public login page; the worker fetches keys where it can reach them.
    const env = { ATES_AUTH_URL: 'http://auth.invalid:3000', ATES_AUTH_JWKS_URL: issuer.jwksUrl }
    const inCompose = authOptions({ config: loadConfig(env), name: 'tasks', access })
    assert.equal(inCompose.loginUrl, 'http://auth.invalid:3000/login')
    const edge = new Hono<AuthEnv>()
    edge.onError(onError(silentLogger))
    edge.use('*', authenticate(inCompose))
    edge.get('/api/me', (c) => c.json(c.get('caller')))
    const response = await edge.request('/api/me', { headers: { authorization: `Bearer ${await issuer.token({ role: 'popug' })}` } })
    assert.equal(response.status, 200)
  })
})

describe('writes only from our own pages', () => {
  const ours = ['http://localhost:3000', 'http://localhost:3001']
  const edge = new Hono()
  edge.onError(onError(silentLogger))
  edge.use('*', ownPagesOnly(ours))
  edge.all('*', (c) => c.text('done'))
  const write = (headers: Record<string, string>, method = 'POST') => edge.request('/api/tasks', { method, headers, body: method === 'GET' ? undefined : '{}' })
  const cookie = { cookie: 'ates_token=a.b.c' }
  const json = { 'content-type': 'application/json' }
  const form = { 'content-type': 'application/x-www-form-urlencoded' }

  test('a write with the cookie passes from an aTES origin, or same-origin by Sec-Fetch-Site alone', async () => {
    assert.equal((await write({ ...cookie, ...json, origin: 'http://localhost:3001' })).status, 200, 'another worker of ours')
    assert.equal((await write({ ...cookie, ...form, origin: 'http://localhost:3000' })).status, 200)
    assert.equal((await write({ ...cookie, ...json, 'sec-fetch-site': 'same-origin' })).status, 200)
  })

  test('a write with the cookie from anywhere else is refused, whatever its method and content type', async () => {
    for (const [what, headers] of [
      ['another site', { origin: 'https://evil.example' }],
      ['another port of the same host', { origin: 'http://localhost:9999' }],
      ['an opaque origin', { origin: 'null' }],
      ['same-site by Sec-Fetch-Site', { 'sec-fetch-site': 'same-site' }],
      ['cross-site by Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site' }],
      ['neither header', {}],
      ['a foreign Origin that Sec-Fetch-Site calls same-origin', { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }],
    ] as const) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        for (const type of [json, form, { 'content-type': 'text/plain' }, {}]) {
          const response = await write({ ...cookie, ...type, ...headers }, method)
          assert.equal(response.status, 403, `${what}, ${method} ${JSON.stringify(type)}`)
          assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'cross_site')
        }
      }
    }
  })

  test('form posts without any credential are held to the same origins (a login); reads and Bearer calls pass', async () => {
    const page = (headers: Record<string, string>) => edge.request('/login', { method: 'POST', headers, body: 'email=a' })
    assert.equal((await page({ ...form, origin: 'https://evil.example' })).status, 403)
    assert.equal((await page({ 'content-type': 'text/plain' })).status, 403)
    assert.equal((await page({ ...form, origin: 'http://localhost:3000' })).status, 200)
    // Sent to the JSON API without the cookie, a form can change nothing: jsonOnly answers 415.
    assert.equal((await write({ ...form, origin: 'https://evil.example' })).status, 200)
    assert.equal((await write({ ...json })).status, 200, 'JSON without a cookie: a script, not a browser made to post')
    assert.equal((await edge.request('/api/tasks/reassign', { method: 'POST' })).status, 200, 'nor a post without a body: it writes nothing without a credential')
    assert.equal((await write({ ...cookie, origin: 'https://evil.example' }, 'GET')).status, 200)
    assert.equal((await write({ ...cookie, ...form, authorization: 'Bearer x.y.z', origin: 'https://evil.example' })).status, 200)
  })
})
