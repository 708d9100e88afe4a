// Consumer contract of tasks.created: a stored v1 event (jira id inside the title) and a v2
// one, read from a real stream through the runtime consumer, give the same (title, jira_id).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import { EventConsumer } from '../runtime/consumer.ts'
import { silentLogger } from '../runtime/log.ts'
import { connectNats, ensureStreams, manager } from '../runtime/nats.ts'
import { openStore, type Store } from '../runtime/store.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { startNats } from '../runtime/testing/nats-server.ts'

test('tasks.created v1 and v2 reach a consumer as the same (title, jira_id)', async () => {
  const nats = await startNats()
  const dir = tempDir()
  const nc = await connectNats({ servers: [nats.url], name: 'test' })
  const js = jetstream(nc)
  const jsm = await manager(nc)
  await ensureStreams(jsm, 1)
  type DB = { seen: { version: number; title: string; jira_id: string | null } }
  const store = openStore<DB>(join(dir.path, 'c.sqlite'), [{ name: '001', up: 'CREATE TABLE seen (version INTEGER, title TEXT, jira_id TEXT)' }])
  const common = { description: '', assignee_id: randomUUID(), created_at: '2026-11-23T10:00:00.000Z' }
  const stored = [
    { v: 1, data: { task_id: randomUUID(), title: '[UBERPOP-42] Polish the beak', ...common } },
    { v: 2, data: { task_id: randomUUID(), title: 'Polish the beak', jira_id: 'UBERPOP-42', ...common } },
  ]
  for (const { v, data } of stored) {
    const envelope = { event_id: randomUUID(), event_name: 'tasks.created', event_version: v, event_time: new Date().toISOString(), producer: 'tasks', data }
    await js.publish(`tasks.created.v${v}`, JSON.stringify(envelope))
  }
  let version = 1
  const consumer = new EventConsumer({
    worker: 'analytics', durable: 'contract', stream: 'TASKS', filter: 'tasks.>', store: store as Store<unknown>, js, jsm, log: silentLogger,
    handlers: {
      'tasks.created': (event) => {
        store.run(store.db.insertInto('seen').values({ version: version++, title: event.data.title, jira_id: event.data.jira_id }))
      },
    },
  })
  await consumer.start()
  await waitFor(() => store.all(store.db.selectFrom('seen').selectAll()).length === 2, 'both handled')
  assert.deepEqual(store.all(store.db.selectFrom('seen').selectAll()), [
    { version: 1, title: 'Polish the beak', jira_id: 'UBERPOP-42' },
    { version: 2, title: 'Polish the beak', jira_id: 'UBERPOP-42' },
  ])
  await consumer.stop()
  store.close()
  await nc.close()
  await nats.stop()
  dir.remove()
})
