// `make stream-report` against a real nats-server: the streams' counts and sequences, and a
// consumer's lag, pending acks and redeliveries as JetStream reports them.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, test } from 'node:test'
import { promisify } from 'node:util'
import { jetstream } from '@nats-io/jetstream'
import { sampleData } from '../contracts/fixtures.ts'
import { ensureDurable } from '../workers/runtime/nats.ts'
import { freePort } from '../workers/runtime/testing/nats-server.ts'
import { startTestBroker, type TestBroker } from '../workers/runtime/testing/streams.ts'
import { formatBytes, streamReport } from './lib/stream-report.ts'

const run = promisify(execFile)
let broker: TestBroker

before(async () => {
  broker = await startTestBroker()
  // One message handled, one delivered again and held, one not delivered yet. Each is
  // published once the one before is where it should be, so the redelivery cannot be
  // overtaken by the third message.
  const publish = () => broker.streams.publish('tasks.created', sampleData['tasks.created.v2'] as never)
  await ensureDurable(broker.streams.jsm, { stream: 'TASKS', durable: 'report-test', filter: 'tasks.>', ackWaitMs: 60_000, maxAckPending: 100 })
  const consumer = await jetstream(broker.streams.nc).consumers.get('TASKS', 'report-test')
  await publish()
  const first = await consumer.next({ expires: 2000 })
  await first!.ackAck()
  await publish()
  const second = await consumer.next({ expires: 2000 })
  second!.nak()
  const again = await consumer.next({ expires: 2000 })
  assert.equal(again!.info.deliveryCount, 2)
  await publish()
})
after(() => broker.stop())

const report = (env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/stream-report.ts'], { env: { ...process.env, ATES_NATS_USER: '', ATES_DATA_DIR: broker.nats.storeDir, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  )

test('the report holds what JetStream says of each stream and consumer', async () => {
  const streams = await streamReport(broker.streams.jsm)
  const tasks = streams.find((s) => s.name === 'TASKS')!
  assert.deepEqual({ messages: tasks.messages, first: tasks.firstSeq, last: tasks.lastSeq }, { messages: 3, first: 1, last: 3 })
  assert.ok(tasks.bytes > 3 * 200)
  assert.deepEqual(tasks.consumers.map(({ name, filter, pending, ackPending, redelivered, ackFloor }) => ({ name, filter, pending, ackPending, redelivered, ackFloor })), [
    { name: 'report-test', filter: 'tasks.>', pending: 1, ackPending: 1, redelivered: 1, ackFloor: 1 },
  ])
  assert.deepEqual(streams.find((s) => s.name === 'ACCOUNTS')!.consumers, [])
  assert.deepEqual([formatBytes(512), formatBytes(1536), formatBytes(5 * 2 ** 30)], ['512 B', '1.5 KiB', '5.0 GiB'])
})

test('make stream-report prints a table of streams and one of consumers', async () => {
  const { code, stdout, stderr } = await report({ ATES_NATS_URL: broker.nats.url })
  assert.equal(code, 0, stderr)
  assert.equal(stderr, `connecting to ${broker.nats.url}\n`)
  const rows = stdout.split('\n').map((line) => line.trim().split(/\s{2,}/))
  assert.deepEqual(rows[0], ['stream', 'subjects', 'messages', 'bytes', 'first seq', 'last seq', 'consumers'])
  const tasks = rows.find((r) => r[0] === 'TASKS' && r[1] === 'tasks.>')!
  assert.deepEqual([tasks[2], tasks[4], tasks[5], tasks[6]], ['3', '1', '3', '1'])
  assert.ok(rows.some((r) => r[0] === 'DLQ'), 'every stream')
  assert.ok(rows.some((r) => r.join(' ') === 'stream consumer filter lag (pending) ack pending redelivered last delivered ack floor'))
  assert.deepEqual(rows.find((r) => r[1] === 'report-test'), ['TASKS', 'report-test', 'tasks.>', '1', '1', '1', '2', '1'])
})

test('a server that does not answer: a clear message and exit 1 within seconds', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`
  const started = Date.now()
  const { code, stderr } = await report({ ATES_NATS_URL: url })
  assert.equal(code, 1)
  assert.ok(Date.now() - started < 20_000)
  assert.match(stderr, new RegExp(`^connecting to ${url}\\nmake stream-report: cannot connect to ${url} within 5 s: is NATS running \\(make up\\)`))
})
