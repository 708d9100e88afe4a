// Consumer contract of tasks.created: the stored v1 sample (jira id inside the title) and the
// v2 one, read from a real stream through the runtime consumer the way billing and analytics
// read them, give the same (title, jira_id).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { test } from 'node:test'
import { sampleData } from '../../contracts/fixtures.ts'
import { EventConsumer } from '../runtime/consumer.ts'
import { silentLogger } from '../runtime/log.ts'
import { ensureStreams } from '../runtime/nats.ts'
import { openStore, type Store } from '../runtime/store.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams } from '../runtime/testing/streams.ts'

test('tasks.created v1 and v2 reach a consumer as the same (title, jira_id)', async () => {
  const nats = await startNats()
  const dir = tempDir()
  const streams = await connectTestStreams(nats.url)
  const { js, jsm } = streams
  await ensureStreams(jsm, 1)
  type DB = { seen: { arrival: number; title: string; jira_id: string | null } }
  const store = openStore<DB>(join(dir.path, 'c.sqlite'), [{ name: '001', up: 'CREATE TABLE seen (arrival INTEGER, title TEXT, jira_id TEXT)' }])
  for (const version of [1, 2]) {
    const envelope = {
      event_id: randomUUID(),
      event_name: 'tasks.created',
      event_version: version,
      event_time: new Date().toISOString(),
      producer: 'tasks',
      data: sampleData[`tasks.created.v${version}`],
    }
    await js.publish(`tasks.created.v${version}`, JSON.stringify(envelope), { msgID: envelope.event_id })
  }
  assert.match((sampleData['tasks.created.v1'] as { title: string }).title, /^\[UBERPOP-42\] /, 'v1 holds the jira id in its title')
  // Handlers see only the latest shape; the stream order tells v1 (first) from v2.
  let arrival = 1
  const consumer = new EventConsumer({
    worker: 'billing', durable: 'contract', stream: 'TASKS', filter: 'tasks.>', store: store as Store<unknown>, js, jsm, log: silentLogger,
    handlers: {
      'tasks.created': (event) => {
        store.run(store.db.insertInto('seen').values({ arrival: arrival++, title: event.data.title, jira_id: event.data.jira_id }))
      },
    },
  })
  await consumer.start()
  await waitFor(() => store.all(store.db.selectFrom('seen').selectAll()).length === 2, 'both handled')
  assert.deepEqual(store.all(store.db.selectFrom('seen').selectAll()), [
    { arrival: 1, title: 'Polish the beak', jira_id: 'UBERPOP-42' },
    { arrival: 2, title: 'Polish the beak', jira_id: 'UBERPOP-42' },
  ])
  await consumer.stop()
  store.close()
  await streams.close()
  await nats.stop()
  dir.remove()
})
