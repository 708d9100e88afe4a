// A write is answered as done once its events are stored; what it answers otherwise.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Hono } from 'hono'
import { confirmedWrites } from './ops.ts'

function app(broker: { connected: boolean; confirms: boolean }) {
  let changes = 0
  const writes = {
    connected: () => broker.connected,
    stored: (ms: number) => (broker.confirms ? Promise.resolve() : new Promise<void>((_, reject) => setTimeout(() => reject(new Error('not confirmed')), ms))),
  }
  const hono = new Hono()
  hono.use('*', confirmedWrites(writes, 50))
  hono.post('/api/tasks', (c) => {
    changes += 1
    c.header('location', '/api/tasks/t-1')
    return c.json({ task_id: 't-1', title: 'Sort the seeds' }, 201)
  })
  hono.post('/tasks', (c) => {
    changes += 1
    return c.redirect('/', 303)
  })
  return { hono, changes: () => changes }
}

test('a write the broker confirms is answered as the route answered it', async () => {
  const { hono } = app({ connected: true, confirms: true })
  const response = await hono.request('/api/tasks', { method: 'POST' })
  assert.equal(response.status, 201)
  assert.deepEqual(await response.json(), { task_id: 't-1', title: 'Sort the seeds' })
})

test('a write the broker does not confirm in time is 504 unconfirmed, with what was saved and where to look it up', async () => {
  const { hono, changes } = app({ connected: true, confirms: false })
  const response = await hono.request('/api/tasks', { method: 'POST' })
  assert.equal(response.status, 504)
  assert.equal(response.headers.get('location'), '/api/tasks/t-1')
  const body = (await response.json()) as { error: { code: string; message: string; details: { saved: unknown } } }
  assert.equal(body.error.code, 'unconfirmed')
  assert.deepEqual(body.error.details, { saved: { task_id: 't-1', title: 'Sort the seeds' } })
  assert.equal(changes(), 1)
  // A page's form post saved something too, but has no JSON to hand back.
  const page = await hono.request('/tasks', { method: 'POST' })
  assert.equal(page.status, 504)
  assert.equal(((await page.json()) as { error: { details?: unknown } }).error.details, undefined)
})

test('with the broker out of reach a write is refused before anything changes', async () => {
  const { hono, changes } = app({ connected: false, confirms: false })
  const response = await hono.request('/api/tasks', { method: 'POST' })
  assert.equal(response.status, 503)
  assert.equal(response.headers.get('retry-after'), '5')
  assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'unavailable')
  assert.equal(changes(), 0)
})
