// Reading a stream back through a consumer of a fixed name, in order, to the end as it was
// when the read began — also when the consumer is lost halfway.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { Envelope } from '../../contracts/envelope.ts'
import { readToEnd } from './replay.ts'
import { startTestBroker, type TestBroker } from './testing/streams.ts'

let broker: TestBroker
const published: string[] = []
const account = (i: number) => ({ account_id: randomUUID(), name: `Popug ${i}`, email: `p${i}@ates.test`, role: 'popug' as const, active: i % 7 !== 0 })

before(async () => {
  broker = await startTestBroker()
  for (let i = 0; i < 2500; i++) published.push(await broker.streams.publish(i % 3 === 0 ? 'accounts.updated' : 'accounts.created', account(i)))
})
after(() => broker.stop())

const read = async (options: Parameters<typeof readToEnd>[4], during?: (batch: Envelope[]) => Promise<void> | void) => {
  const ids: string[] = []
  const pending: Array<Promise<void> | void> = []
  const count = await readToEnd(broker.streams.js, broker.streams.jsm, 'ACCOUNTS', (batch) => {
    ids.push(...batch.map((e) => e.event_id))
    pending.push(during?.(batch))
  }, options)
  await Promise.all(pending)
  return { count, ids }
}

test('every event, in stream order, in batches, then the reading consumer is gone', async () => {
  const sizes: number[] = []
  const { count, ids } = await read({ name: 'test-readback', batchSize: 1000 }, (batch) => void sizes.push(batch.length))
  assert.equal(count, 2500)
  assert.deepEqual(ids, published)
  assert.deepEqual(sizes, [1000, 1000, 500])
  const left = []
  for await (const c of broker.streams.jsm.consumers.list('ACCOUNTS')) left.push(c.name)
  assert.deepEqual(left, [])
})

test('only what the filter takes', async () => {
  const { ids } = await read({ name: 'test-readback', filter: 'accounts.updated.>' })
  assert.deepEqual(ids, published.filter((_, i) => i % 3 === 0))
})

test('a consumer deleted halfway is made again, under the same name, from the first event not read', async () => {
  let deleted = false
  const { count, ids } = await read({ name: 'test-readback', batchSize: 400, fetchMs: 1000 }, async () => {
    if (deleted) return
    deleted = true
    await broker.streams.jsm.consumers.delete('ACCOUNTS', 'test-readback')
  })
  assert.ok(deleted)
  assert.equal(count, 2500)
  assert.deepEqual(ids, published, 'none missed, none twice')
})
