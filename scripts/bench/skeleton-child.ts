// One process of the pipeline's skeleton (skeleton.ts): the messaging and storage a worker of the
// pipeline does, without the worker. Usage: skeleton-child.ts <role> <nats url> <dir>
//   tasks      HTTP POST /api/tasks: one SQLite row (commits grouped), two events published
//   billing    reads both; one SQLite row each; two events published for each created one
//   analytics  reads created and billing's two; one SQLite row each
//   audit      reads all four; one SQLite row each
// Each consumer takes what arrived in one batch, writes it in one transaction, then acks.
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { jetstream, type JetStreamClient } from '@nats-io/jetstream'
import { Hono } from 'hono'
import { connectNats } from '../../workers/runtime/nats.ts'
import { openStore, type Store } from '../../workers/runtime/store.ts'
import { consumeInBatches } from './batches.ts'
import { SKELETON_READS, type SkeletonRole, skeletonDurable } from './skeleton-reads.ts'

const [role, natsUrl, dir] = process.argv.slice(2) as [SkeletonRole, string, string]
const nc = await connectNats({ servers: [natsUrl], name: `skeleton-${role}` })
const js = jetstream(nc)
const store = openStore<unknown>(join(dir, `skeleton-${role}.sqlite`), [
  { name: '001_rows', up: 'CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)' },
])
const insert = store.prepare('INSERT INTO rows (id, body) VALUES (?, ?) ON CONFLICT DO NOTHING')
const utf8 = new TextDecoder()

/** An event in the envelope the workers use, with a small payload. */
function event(name: string, data: Record<string, unknown>): { id: string; json: string } {
  const id = crypto.randomUUID()
  return { id, json: JSON.stringify({ event_id: id, event_name: name, event_version: 1, event_time: new Date().toISOString(), producer: role, data }) }
}

/** Publishes without waiting for the PubAck: the cheapest a producer can be. */
function publish(js: JetStreamClient, subject: string, json: string): void {
  js.publish(subject, json).catch((error: Error) => {
    process.stderr.write(`skeleton ${role}: publish failed: ${error.message}\n`)
    process.exit(1)
  })
}

async function consume(store: Store<unknown>, stream: string, filter: string): Promise<void> {
  const consumer = await js.consumers.get(stream, skeletonDurable(role, filter))
  await consumeInBatches(consumer, (batch) =>
    store.tx(() => {
      for (const msg of batch) {
        const text = utf8.decode(msg.data)
        const parsed = JSON.parse(text) as { event_id: string; data: { task_id: string } }
        insert.run(parsed.event_id, text)
        if (role === 'billing' && msg.subject === 'sk_tasks.created') {
          const taskId = parsed.data.task_id
          publish(js, 'sk_billing.priced', event('billing.task_priced', { task_id: taskId, assign_fee: 1500, completion_reward: 3000 }).json)
          publish(js, 'sk_billing.applied', event('billing.transaction_applied', { task_id: taskId, debit: 1500, credit: 0 }).json)
        }
      }
    }),
  )
}

for (const read of SKELETON_READS[role]) await consume(store, read.stream, read.filter)

if (role === 'tasks') {
  const app = new Hono()
  app.post('/api/tasks', async (c) => {
    const body = (await c.req.json()) as { title: string; description: string }
    const taskId = crypto.randomUUID()
    const created = event('tasks.created', { task_id: taskId, title: body.title, description: body.description })
    // Requests arriving together commit together, as tasks' creations do.
    await store.txGrouped(() => insert.run(taskId, created.json))
    publish(js, 'sk_tasks.created', created.json)
    publish(js, 'sk_tasks.assigned', event('tasks.assigned', { task_id: taskId, assignee_id: crypto.randomUUID() }).json)
    return c.json({ task_id: taskId, title: body.title, status: 'open' }, 201)
  })
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.stdout.write(`ready ${info.port}\n`))
} else {
  process.stdout.write('ready\n')
}
