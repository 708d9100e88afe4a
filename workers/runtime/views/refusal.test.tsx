import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Hono } from 'hono'
import { type AuthEnv, requireRole } from '../auth.ts'
import { loadConfig } from '../config.ts'
import { notFound, onError } from '../http.ts'
import { silentLogger } from '../log.ts'
import { refusalPages } from './refusal.tsx'

// The URLs a worker links to when nothing is configured.
const urls = loadConfig({}).publicUrls

function analytics() {
  const app = new Hono<AuthEnv>()
  app.onError(onError(silentLogger))
  app.notFound(notFound)
  app.use('*', async (c, next) => {
    c.set('caller', { id: 'a', role: 'accountant', name: 'Arno' })
    await next()
  })
  app.use('*', refusalPages('analytics', urls))
  app.use('*', requireRole('admin'))
  app.get('/', (c) => c.text('the dashboard'))
  app.get('/api/analytics/today', (c) => c.json({}))
  return app
}

test('a page the role may not open answers 403 with a page that says why', async () => {
  const response = await analytics().request('/')
  assert.equal(response.status, 403)
  assert.match(response.headers.get('content-type') ?? '', /text\/html/)
  const html = await response.text()
  assert.match(html, /<h1>Analytics: not for your role<\/h1>/)
  assert.match(html, /This needs one of the roles: admin\./)
  assert.ok(!html.includes('href="http://localhost:3003/"'), 'no link to what was refused')
})

test('the API keeps its JSON refusal', async () => {
  const response = await analytics().request('/api/analytics/today')
  assert.equal(response.status, 403)
  assert.deepEqual(await response.json(), { error: { code: 'forbidden', message: 'this needs one of the roles: admin' } })
})
