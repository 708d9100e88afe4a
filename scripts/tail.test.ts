// `make tail` against a real stream: readable lines from the start, then live ones.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { after, before, test } from 'node:test'
import { makeEnvelope } from '../contracts/envelope.ts'
import { sampleData } from '../contracts/fixtures.ts'
import { waitFor } from '../workers/runtime/testing/helpers.ts'
import { freePort } from '../workers/runtime/testing/nats-server.ts'
import { startTestBroker, type TestBroker } from '../workers/runtime/testing/streams.ts'
import { eventLine } from './lib/event-line.ts'

let broker: TestBroker

before(async () => {
  broker = await startTestBroker()
})
after(() => broker.stop())

test('an event line shows the name, short ids and dollars', () => {
  const { subject, envelope } = makeEnvelope({
    name: 'billing.transaction_applied',
    data: sampleData['billing.transaction_applied.v1'] as never,
    eventId: '6d1e4c1a-0000-4000-8000-000000000001',
    time: new Date('2026-11-24T10:11:12.345Z'),
    producer: 'billing',
  })
  const line = eventLine(subject, JSON.stringify(envelope))
  assert.match(line, /^10:11:12\.345 {2}billing\.transaction_applied v1 /)
  assert.match(line, /account=[0-9a-f]{8} /)
  assert.match(line, /balance_after=−\$15\.00/)
  assert.doesNotMatch(line, /applied_at/)
  assert.match(eventLine('tasks.created.v2', '{oops'), /\(not JSON\) "\{oops"/)
})

test('make tail prints stored events from the start, then live ones', async () => {
  const publish = (name: 'tasks.created' | 'tasks.completed' | 'accounts.created', key: string) => broker.streams.publish(name, sampleData[key as keyof typeof sampleData] as never)
  await publish('tasks.created', 'tasks.created.v2')
  await publish('accounts.created', 'accounts.created.v1')

  const { tail, lines, errors } = startTail(['tasks.>', 'start'])
  try {
    await waitFor(() => errors.some((l) => l.startsWith('tailing')), 'tail to start')
    assert.match(errors[0]!, new RegExp(`^connecting to ${broker.nats.url}, subject tasks\\.>$`), 'where it connects, on stderr')
    await waitFor(() => lines.length >= 1, 'the stored task event', 20_000)
    await publish('tasks.completed', 'tasks.completed.v1')
    await waitFor(() => lines.length >= 2, 'the live task event', 20_000)
    assert.match(lines[0]!, /tasks\.created v2 +task=[0-9a-f]{8} title="Polish the beak" jira_id=UBERPOP-42 assignee=[0-9a-f]{8}/)
    assert.match(lines[1]!, /tasks\.completed v1 +task=[0-9a-f]{8}/)
    assert.ok(lines.every((l) => !l.includes('accounts.')), 'only the subject asked for')
  } finally {
    tail.kill('SIGTERM')
  }
})

/** `make tail` with these arguments against the test broker (or another URL): its stdout and stderr lines. */
function startTail(args: string[], url = broker.nats.url): { tail: ChildProcess; lines: string[]; errors: string[] } {
  const tail = spawn(process.execPath, ['--import', 'tsx', 'scripts/tail.ts', ...args], {
    env: { ...process.env, ATES_NATS_URL: url, ATES_NATS_USER: '', ATES_DATA_DIR: broker.nats.storeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: string[] = []
  const errors: string[] = []
  createInterface({ input: tail.stdout! }).on('line', (line) => lines.push(line))
  createInterface({ input: tail.stderr! }).on('line', (line) => errors.push(line))
  return { tail, lines, errors }
}

test('SUBJECT=tasks.created, without a version, shows every version of the event and nothing else', async () => {
  const { tail, lines, errors } = startTail(['tasks.created', 'start'])
  try {
    await waitFor(() => errors.some((l) => l.startsWith('tailing')), 'tail to start')
    assert.match(errors[0]!, /subject tasks\.created\.\* \(every version of tasks\.created\)$/)
    const v1 = makeEnvelope({ name: 'tasks.created', data: sampleData['tasks.created.v2'] as never, eventId: crypto.randomUUID(), time: new Date(), producer: 'tasks' })
    // A v1 event as an older producer published it.
    const old = { ...v1.envelope, event_version: 1, data: sampleData['tasks.created.v1'] }
    await broker.streams.js.publish('tasks.created.v1', JSON.stringify(old), { msgID: old.event_id })
    await broker.streams.publish('tasks.completed', sampleData['tasks.completed.v1'] as never)
    await broker.streams.publish('tasks.created', sampleData['tasks.created.v2'] as never)
    await waitFor(() => lines.filter((l) => / tasks\.created v1 /.test(l)).length >= 1 && lines.filter((l) => / tasks\.created v2 /.test(l)).length >= 2, 'v1 and v2 of tasks.created')
    assert.ok(lines.every((l) => / tasks\.created v[12] /.test(l)), `only tasks.created: ${lines.join('\n')}`)
  } finally {
    tail.kill('SIGTERM')
  }
})

test('a server that does not answer: a clear message and a non-zero exit within seconds', async () => {
  const url = `nats://127.0.0.1:${await freePort()}`
  const started = Date.now()
  const { tail, errors } = startTail(['tasks.>'], url)
  const code = await new Promise<number | null>((resolve) => tail.once('exit', (c) => resolve(c)))
  const seconds = (Date.now() - started) / 1000
  assert.equal(code, 1)
  assert.ok(seconds < 20, `gave up after ${seconds} s`)
  assert.equal(errors[0], `connecting to ${url}, subject tasks.>`)
  assert.match(errors.at(-1)!, new RegExp(`^make tail: cannot connect to ${url} within 5 s: is NATS running \\(make up\\)`))
})
