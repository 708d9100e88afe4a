// The HTTP baseline: a bare Hono app on @hono/node-server answering a small JSON body.
// Usage: bare-hono.ts <port>
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.json({ status: 'ok', items: [] }))
serve({ fetch: app.fetch, port: Number(process.argv[2] ?? 0), hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`)
})
