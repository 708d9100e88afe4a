// What every worker's edge answers before its own routes look at a request: 404 for an unknown
// /api path without asking for a token, 405 with Allow for a known path and another method, 415
// telling a client that sent a form to send JSON, and CORS only for the origins configured.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Hono } from 'hono'
import type { Env } from './runtime/config.ts'
import { testContext } from './runtime/testing/context.ts'
import { httpApp } from './runtime/worker.ts'
import { definition } from './tasks/main.ts'

const readiness = { nats: () => true, database: () => true, lags: async () => ({}) }

function tasksEdge(env: Env = {}): { app: Hono; close(): void } {
  const worker = definition()
  const ctx = testContext(worker.name, worker.migrations, { env })
  return { app: httpApp(worker, ctx, readiness), close: () => ctx.store.close() }
}

const json = async (response: Response) => (await response.json()) as { error: { code: string; message: string } }

describe('routes the edge does not take', () => {
  let edge: ReturnType<typeof tasksEdge>
  before(() => {
    edge = tasksEdge()
  })
  after(() => edge.close())

  test('an unknown /api path is 404 without a token, not 401', async () => {
    const response = await edge.app.request('/api/taks')
    assert.equal(response.status, 404)
    assert.deepEqual(await json(response), { error: { code: 'not_found', message: 'no route for GET /api/taks' } })
    assert.equal((await edge.app.request('/api/tasks/1/2/3', { method: 'POST' })).status, 404)
  })

  test('a known path asked with another method is 405 with the methods it takes', async () => {
    const wrong = await edge.app.request('/api/tasks', { method: 'DELETE' })
    assert.equal(wrong.status, 405)
    assert.equal(wrong.headers.get('allow'), 'POST, GET, HEAD, OPTIONS')
    assert.deepEqual(await json(wrong), { error: { code: 'method_not_allowed', message: '/api/tasks does not take DELETE: use POST or GET' } })
    const complete = await edge.app.request('/api/tasks/42/complete')
    assert.equal(complete.status, 405, 'GET where only POST is')
    assert.equal(complete.headers.get('allow'), 'POST, OPTIONS')
    assert.equal((await edge.app.request('/healthz', { method: 'POST' })).status, 405)
    const options = await edge.app.request('/api/tasks/42', { method: 'OPTIONS' })
    assert.equal(options.status, 204)
    assert.equal(options.headers.get('allow'), 'GET, HEAD, OPTIONS')
  })

  test('a page path nobody serves still sends a stranger to log in, as before', async () => {
    const response = await edge.app.request('/nothing-here')
    assert.equal(response.status, 303)
  })

  test('a JSON API sent a form is told to send JSON, before anything else', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain']) {
      const response = await edge.app.request('/api/tasks', { method: 'POST', headers: { 'content-type': type, origin: 'https://elsewhere.example' }, body: 'title=Hello' })
      assert.equal(response.status, 415, type)
      assert.deepEqual(await json(response), {
        error: { code: 'unsupported_media_type', message: 'this API takes JSON: send the body as JSON with content-type: application/json' },
      })
    }
    const asJson = await edge.app.request('/api/tasks', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{}' })
    assert.equal(asJson.status, 401, 'JSON goes on to authentication')
  })

  test('no CORS by default', async () => {
    const preflight = await edge.app.request('/api/tasks', { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } })
    assert.equal(preflight.headers.get('access-control-allow-origin'), null)
  })
})

describe('CORS for the origins in ATES_CORS_ORIGINS', () => {
  let edge: ReturnType<typeof tasksEdge>
  before(() => {
    edge = tasksEdge({ ATES_CORS_ORIGINS: 'http://localhost:5173, https://app.example' })
  })
  after(() => edge.close())

  test('a listed origin may call the API with a token and JSON', async () => {
    const preflight = await edge.app.request('/api/tasks', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    })
    assert.equal(preflight.status, 204)
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example')
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/)
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/)
    assert.equal(preflight.headers.get('access-control-allow-credentials'), null, 'no cookies for other origins')
    const refused = await edge.app.request('/api/tasks', { headers: { origin: 'http://localhost:5173' } })
    assert.equal(refused.status, 401)
    assert.equal(refused.headers.get('access-control-allow-origin'), 'http://localhost:5173', 'a browser may read the error')
  })

  test('an origin not listed gets no CORS headers', async () => {
    const preflight = await edge.app.request('/api/tasks', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
    assert.equal(preflight.headers.get('access-control-allow-origin'), null)
    const read = await edge.app.request('/api/tasks', { headers: { origin: 'https://evil.example' } })
    assert.equal(read.headers.get('access-control-allow-origin'), null)
  })

  test('an origin that is not one is refused at start', () => {
    assert.throws(() => tasksEdge({ ATES_CORS_ORIGINS: 'app.example' }), /ATES_CORS_ORIGINS must list origins/)
    assert.throws(() => tasksEdge({ ATES_CORS_ORIGINS: 'https://app.example/path' }), /ATES_CORS_ORIGINS must list origins/)
  })
})
