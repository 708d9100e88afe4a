// The router whose matches are kept: every request is routed as Hono's own router routes it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Hono } from 'hono'
import { KeptMatchRouter } from './routing.ts'

function app(router?: KeptMatchRouter<never>) {
  const hono = router ? new Hono({ router }) : new Hono()
  hono.use('*', async (c, next) => {
    await next()
    c.header('x-route', c.req.routePath)
  })
  hono.use('/api/*', async (c, next) => {
    await next()
    c.header('x-api', 'yes')
  })
  hono.post('/api/tasks/reassign', (c) => c.json({ reassigned: true }))
  hono.post('/api/tasks/:id/complete', (c) => c.json({ completed: c.req.param('id') }))
  hono.get('/api/tasks/:id', (c) => c.json({ task: c.req.param('id') }))
  hono.get('/api/tasks', (c) => c.json({ list: c.req.query('assignee') ?? null }))
  hono.get('/files/*', (c) => c.json({ file: c.req.path }))
  return hono
}

async function answer(hono: Hono, method: string, path: string) {
  const response = await hono.request(path, { method })
  return { status: response.status, route: response.headers.get('x-route'), api: response.headers.get('x-api'), body: await response.text() }
}

const ASKED: Array<[string, string]> = [
  ['GET', '/api/tasks?assignee=me'],
  ['GET', '/api/tasks/41'],
  ['GET', '/api/tasks/42'],
  ['POST', '/api/tasks/42/complete'],
  ['POST', '/api/tasks/43/complete'],
  ['POST', '/api/tasks/reassign'],
  ['GET', '/api/tasks/reassign'],
  ['PATCH', '/api/tasks/42'],
  ['GET', '/files/a/b.css'],
  ['GET', '/nowhere'],
  ['GET', `/api/tasks/${'x'.repeat(300)}`],
]

test("each request is answered as by Hono's own router, the first time and every time after", async () => {
  const plain = app()
  const kept = app(new KeptMatchRouter())
  for (let round = 0; round < 3; round++) {
    for (const [method, path] of ASKED) {
      assert.deepEqual(await answer(kept, method, path), await answer(plain, method, path), `${method} ${path}, round ${round + 1}`)
    }
  }
  // A parameter is the path's own, not the one kept for another path of the same route.
  assert.equal((await answer(kept, 'GET', '/api/tasks/41')).body, '{"task":"41"}')
  assert.equal((await answer(kept, 'POST', '/api/tasks/43/complete')).body, '{"completed":"43"}')
})

test('past the number of matches it keeps, it forgets them and still routes every path', async () => {
  const kept = app(new KeptMatchRouter())
  for (let i = 0; i < 2_500; i++) {
    const { status, body } = await answer(kept, 'GET', `/api/tasks/${i}`)
    assert.equal(status, 200)
    assert.equal(body, `{"task":"${i}"}`)
  }
  assert.equal((await answer(kept, 'GET', '/api/tasks/7')).body, '{"task":"7"}')
})
