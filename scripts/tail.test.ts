// `make tail` against a real stream: readable lines from the start, then live ones.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { after, before, test } from 'node:test'
import { makeEnvelope } from '../contracts/envelope.ts'
import { sampleData } from '../contracts/fixtures.ts'
import { waitFor } from '../workers/runtime/testing/helpers.ts'
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

  const tail = spawn(process.execPath, ['--import', 'tsx', 'scripts/tail.ts', 'tasks.>', 'start'], {
    env: { ...process.env, ATES_NATS_URL: broker.nats.url, ATES_NATS_USER: '', ATES_DATA_DIR: broker.nats.storeDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  createInterface({ input: tail.stdout! }).on('line', (line) => lines.push(line))
  try {
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
