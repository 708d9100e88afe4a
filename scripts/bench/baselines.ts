// What the machine can do without aTES in the way: raw JetStream publish and consume+ack,
// SQLite transactions with the workers' settings, and a bare Hono app.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, StorageType } from '@nats-io/jetstream'
import { openStore } from '../../workers/runtime/store.ts'
import { consumeInBatches } from './batches.ts'
import { httpLoad, type LoadResult } from './http-load.ts'

/** A message the size of a real tasks.assigned event. */
export function sampleEvent(n: number): string {
  return JSON.stringify({
    event_id: crypto.randomUUID(),
    event_name: 'tasks.assigned',
    event_version: 1,
    event_time: new Date().toISOString(),
    producer: 'tasks',
    data: {
      task_id: crypto.randomUUID(),
      assignee_id: crypto.randomUUID(),
      previous_assignee_id: null,
      assigned_at: new Date().toISOString(),
      n,
    },
  })
}

async function scratchStream(jsm: JetStreamManager, name: string): Promise<void> {
  await jsm.streams.delete(name).catch(() => undefined)
  await jsm.streams.add({ name, subjects: [`${name.toLowerCase()}.>`], storage: StorageType.File, num_replicas: 1 })
}

/** Pipelined publishes in windows of 1000 with collected PubAcks, as the outbox relay does. */
export async function rawPublish(js: JetStreamClient, jsm: JetStreamManager, count: number): Promise<number> {
  await scratchStream(jsm, 'BENCH_RAW')
  const payloads = Array.from({ length: Math.min(count, 1000) }, (_, i) => sampleEvent(i))
  const started = performance.now()
  for (let sent = 0; sent < count; ) {
    const window = Math.min(1000, count - sent)
    const acks = []
    for (let i = 0; i < window; i += 1) {
      acks.push(js.publish('bench_raw.event', payloads[i % payloads.length]!, { msgID: `raw-${sent + i}` }))
    }
    await Promise.all(acks)
    sent += window
  }
  return count / ((performance.now() - started) / 1000)
}

/** A durable pull consumer that acks every message, over what rawPublish stored (kept for rawConsumeIntoSqlite). */
export async function rawConsume(js: JetStreamClient, jsm: JetStreamManager, count: number): Promise<number> {
  await jsm.consumers.add('BENCH_RAW', {
    durable_name: 'bench-raw',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 2000,
  })
  const consumer = await js.consumers.get('BENCH_RAW', 'bench-raw')
  const started = performance.now()
  let received = 0
  await new Promise<void>((resolve) => {
    void consumer.consume({
      max_messages: 1000,
      callback: (msg) => {
        msg.ack()
        received += 1
        if (received === count) resolve()
      },
    })
  })
  return count / ((performance.now() - started) / 1000)
}

/**
 * What a replay cannot beat: a durable pull consumer over what rawPublish stored that parses
 * each event and writes it as one SQLite row (keyed by its stream sequence: appended, the
 * cheapest insert), one transaction per batch of what has arrived, acking each after the commit
 * — a worker's consumer without the schema checks, the inbox, the handlers and their indexes.
 * The raw stream is deleted afterwards.
 */
export async function rawConsumeIntoSqlite(js: JetStreamClient, jsm: JetStreamManager, dir: string, count: number): Promise<number> {
  await jsm.consumers.add('BENCH_RAW', {
    durable_name: 'bench-raw-sqlite',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 2000,
  })
  const store = openStore<unknown>(join(dir, 'bench-consume.sqlite'), [
    { name: '001_rows', up: 'CREATE TABLE rows (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, body TEXT NOT NULL)' },
  ])
  const insert = store.prepare('INSERT INTO rows (seq, event_id, body) VALUES (?, ?, ?)')
  const consumer = await js.consumers.get('BENCH_RAW', 'bench-raw-sqlite')
  let received = 0
  let done: () => void = () => undefined
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const started = performance.now()
  const messages = await consumeInBatches(consumer, (batch) => {
    store.tx(() => {
      for (const msg of batch) {
        const text = msg.string()
        insert.run(msg.seq, (JSON.parse(text) as { event_id: string }).event_id, text)
      }
    })
    received += batch.length
    if (received >= count) done()
  })
  await finished
  const rate = count / ((performance.now() - started) / 1000)
  await messages.close()
  store.close()
  await jsm.streams.delete('BENCH_RAW')
  return rate
}

/** SQLite with the workers' pragmas: one row and one inbox record per event, one transaction per batch. */
export function rawSqlite(dir: string, count: number, batch: number): number {
  const store = openStore<unknown>(join(dir, `bench-sqlite-${batch}.sqlite`), [
    { name: '001_rows', up: 'CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)' },
  ])
  const insertRow = store.prepare('INSERT INTO rows (id, body) VALUES (?, ?)')
  const insertInbox = store.prepare('INSERT INTO inbox (event_id, consumer) VALUES (?, ?)')
  const body = sampleEvent(0)
  const started = performance.now()
  for (let done = 0; done < count; done += batch) {
    store.tx(() => {
      for (let i = done; i < Math.min(done + batch, count); i += 1) {
        const id = `e-${batch}-${i}`
        insertRow.run(id, body)
        insertInbox.run(id, 'bench')
      }
    })
  }
  const rate = count / ((performance.now() - started) / 1000)
  store.close()
  return rate
}

/** A bare Hono app in its own process (given a JSON text, it answers that), until stopped. */
export async function startBareHono(json?: string): Promise<{ url: string; stop(): void }> {
  const script = fileURLToPath(new URL('./bare-hono.ts', import.meta.url))
  const server = spawn(process.execPath, ['--import', 'tsx', script, '0', ...(json === undefined ? [] : [json])], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.on('data', (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(chunk.toString())
        if (match) resolve(Number(match[1]))
      })
      server.once('exit', (code) => reject(new Error(`bare Hono exited with ${code}`)))
    })
    return { url: `http://127.0.0.1:${port}/`, stop: () => server.kill('SIGTERM') }
  } catch (error) {
    server.kill('SIGTERM')
    throw error
  }
}

/** A bare Hono app in its own process under the same load as the workers' routes; given a JSON text, it answers that. */
export async function bareHono(seconds: number, connections?: number, json?: string): Promise<LoadResult> {
  const bare = await startBareHono(json)
  try {
    return await httpLoad({ url: bare.url, seconds, ...(connections ? { connections } : {}) })
  } finally {
    bare.stop()
  }
}
