// The HTTP baseline: a bare Hono app on @hono/node-server answering a small JSON body, or,
// given one, the same JSON a worker's route answered (parsed once, serialized per request).
// Usage: bare-hono.ts <port> [json]
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const answer: unknown = process.argv[3] === undefined ? { status: 'ok', items: [] } : JSON.parse(process.argv[3])
const app = new Hono()
app.get('/', (c) => c.json(answer))
serve({ fetch: app.fetch, port: Number(process.argv[2] ?? 0), hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`)
})
