import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { Hono } from 'hono'
import { loadConfig } from '../config.ts'
import { dashboardsFor, Layout, styleSources } from './layout.tsx'

// The URLs a worker links to when nothing is configured.
const urls = loadConfig({}).publicUrls

test('navigation offers only the dashboards a role may open', () => {
  assert.deepEqual(dashboardsFor('popug'), ['tasks', 'billing'])
  assert.deepEqual(dashboardsFor('accountant'), ['tasks', 'billing', 'audit'])
  assert.deepEqual(dashboardsFor('admin'), ['tasks', 'billing', 'analytics', 'close', 'audit', 'auth'])
})

test('the layout escapes what people typed', async () => {
  const app = new Hono()
  app.get('/', (c) =>
    c.html(
      <Layout title="Tasks" current="tasks" urls={urls} caller={{ id: 'x', role: 'popug', name: '<script>alert(1)</script>' }}>
        <p>hello</p>
      </Layout>,
    ),
  )
  const html = await (await app.request('/')).text()
  assert.ok(!html.includes('<script>alert(1)</script>'))
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'))
  assert.ok(html.includes('href="http://localhost:3002/"'))
  assert.ok(!html.includes('http://localhost:3003/'), 'no analytics link for a popug')
  assert.ok(html.includes('section>h2:first-child{'), 'the style sheet reaches the browser as written, not escaped')
})

test("the style sheet a page carries is the one whose hash the pages' CSP allows", async () => {
  const app = new Hono()
  app.get('/', (c) => c.html(<Layout title="Tasks" current="tasks" urls={urls} caller={{ id: 'x', role: 'popug', name: 'Pip' }} />))
  const html = await (await app.request('/')).text()
  const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? ''
  assert.ok(css.length > 100)
  assert.ok(styleSources().includes(`'sha256-${createHash('sha256').update(css).digest('base64')}'`))
  assert.doesNotMatch(html, /style="/, 'no style attribute: the CSP allows none')
})
