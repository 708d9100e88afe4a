// tasks through real HTTP, a real nats-server and its own SQLite file; accounts arrive as
// accounts.* events on the ACCOUNTS stream, the way auth publishes them.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { jetstream } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { decodeEvent, makeEnvelope } from '../../contracts/envelope.ts'
import type { Role } from '../runtime/auth.ts'
import { silentLogger } from '../runtime/log.ts'
import { connectNats, manager } from '../runtime/nats.ts'
import { readStream, tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import type { DB } from './store.ts'

const dir = tempDir()
let nats: NatsFixture
let nc: NatsConnection
let issuer: TestIssuer
let tasks: RunningWorker<DB>

type Account = { id: string; role: Role; token: string }
const accounts: Record<string, Account> = {}

async function publishAccount(name: string, role: Role, active = true, event: 'accounts.created' | 'accounts.updated' = 'accounts.created') {
  const id = accounts[name]?.id ?? randomUUID()
  const { subject, envelope } = makeEnvelope({
    name: event,
    data: { account_id: id, name, email: `${name}@ates.test`, role, active },
    eventId: randomUUID(),
    time: new Date(),
    producer: 'auth',
  })
  await jetstream(nc).publish(subject, JSON.stringify(envelope), { msgID: envelope.event_id })
  accounts[name] = { id, role, token: await issuer.token({ id, role, name }) }
  return accounts[name]
}

async function call(method: string, path: string, who?: string, body?: unknown) {
  const token = who ? accounts[who]!.token : undefined
  const response = await fetch(`${tasks.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

const settled = () => waitFor(async () => (await fetch(`${tasks.url}/readyz?max_lag=0`)).ok, 'tasks caught up')

async function taskEvents() {
  await tasks.relay.flushed()
  return (await readStream(jetstream(nc), await manager(nc), 'TASKS')).map((m) => {
    const decoded = decodeEvent(m.subject, new TextEncoder().encode(m.data))
    assert.ok(decoded.ok, `valid envelope on ${m.subject}: ${decoded.ok ? '' : decoded.reason}`)
    return { subject: m.subject, event: decoded.event }
  })
}

before(async () => {
  nats = await startNats()
  nc = await connectNats({ servers: [nats.url], name: 'test' })
  issuer = await startTestIssuer()
  // A fixed sequence instead of chance: the tests below know who is drawn.
  let turn = 0
  const random = () => [0.1, 0.6, 0.3, 0.9][turn++ % 4]!
  tasks = await runWorker(
    definition({ now: () => new Date(), newId: randomUUID }, random),
    { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dir.path, ATES_TASKS_PORT: '0', ATES_AUTH_URL: issuer.url },
    { log: silentLogger, consumer: { backoffMs: () => 50 } },
  )
})

after(async () => {
  await tasks.stop()
  await issuer.stop()
  await nc.close()
  await nats.stop()
  dir.remove()
})

describe('tasks', () => {
  test('with nobody to assign, a task is refused with 409 and nothing is stored or published', async () => {
    await publishAccount('boss', 'admin')
    await publishAccount('mila', 'manager')
    await settled()
    const response = await call('POST', '/api/tasks', 'boss', { title: 'Polish the beak' })
    assert.equal(response.status, 409)
    assert.equal(response.body.error.code, 'no_assignee')
    assert.equal((await call('GET', '/api/tasks', 'boss')).body.tasks.length, 0)
    assert.equal((await taskEvents()).length, 0)
  })

  test('an account published while tasks runs becomes assignable without a restart', async () => {
    await publishAccount('pip', 'popug')
    await publishAccount('kesha', 'popug')
    await publishAccount('arno', 'accountant')
    await publishAccount('sleepy', 'popug', false)
    await settled()
    const created = await call('POST', '/api/tasks', 'mila', { title: '[UBERPOP-42] Polish the beak', description: 'until it shines' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(created.body.title, 'Polish the beak')
    assert.equal(created.body.jira_id, 'UBERPOP-42')
    assert.ok([accounts.pip!.id, accounts.kesha!.id, accounts.arno!.id].includes(created.body.assignee_id))
  })

  test('create → reassign → complete puts the right events on the TASKS stream', async () => {
    const before = (await taskEvents()).length
    const created = (await call('POST', '/api/tasks', 'pip', { title: 'Count the millet', jira_id: 'UBERPOP-7' })).body
    const open = (await call('GET', '/api/tasks?status=open', 'boss')).body.tasks.length
    const reassigned = await call('POST', '/api/tasks/reassign', 'mila')
    assert.deepEqual(reassigned.body, { reassigned: open })
    const now = (await call('GET', `/api/tasks/${created.task_id}`, 'pip')).body
    const completed = await call('POST', `/api/tasks/${created.task_id}/complete`, nameOf(now.assignee_id))
    assert.equal(completed.status, 200)
    assert.equal(completed.body.status, 'completed')

    const events = (await taskEvents()).slice(before)
    const mine = events.filter((e) => (e.event.data as { task_id: string }).task_id === created.task_id)
    assert.deepEqual(
      mine.map((e) => e.subject),
      ['tasks.created.v2', 'tasks.assigned.v1', 'tasks.assigned.v1', 'tasks.completed.v1'],
    )
    const [createdEvent, firstAssign, reassign, completion] = mine.map((e) => e.event.data as Record<string, unknown>)
    assert.equal(createdEvent!.title, 'Count the millet')
    assert.equal(createdEvent!.jira_id, 'UBERPOP-7')
    assert.equal(firstAssign!.previous_assignee_id, null)
    assert.equal(reassign!.previous_assignee_id, firstAssign!.assignee_id)
    assert.equal(completion!.assignee_id, now.assignee_id)
    assert.equal(events.filter((e) => e.subject === 'tasks.assigned.v1').length, 1 + open, 'one assignment per open task')
    assert.ok(events.every((e) => e.event.producer === 'tasks'))
  })

  test('role and ownership refusals', async () => {
    assert.equal((await call('POST', '/api/tasks/reassign', 'pip')).status, 403)
    assert.equal((await call('POST', '/api/tasks/reassign', 'arno')).status, 403)
    assert.equal((await call('POST', '/api/tasks/reassign')).status, 401)
    const task = (await call('POST', '/api/tasks', 'pip', { title: 'Fix the perch' })).body
    const other = [accounts.pip!, accounts.kesha!, accounts.arno!].find((a) => a.id !== task.assignee_id)!
    const refused = await call('POST', `/api/tasks/${task.task_id}/complete`, nameOf(other.id))
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error.code, 'not_assignee')
    assert.equal((await call('POST', `/api/tasks/${task.task_id}/complete`, nameOf(task.assignee_id))).status, 200)
    assert.equal((await call('POST', `/api/tasks/${task.task_id}/complete`, nameOf(task.assignee_id))).status, 409)
    assert.equal((await call('POST', `/api/tasks/${randomUUID()}/complete`, 'pip')).status, 404)
  })

  test('bad bodies and parameters get 400/422 and store nothing', async () => {
    const before = (await call('GET', '/api/tasks?limit=200', 'boss')).body.tasks.length
    for (const body of [{}, { title: '' }, { title: 'x'.repeat(301) }, { title: '[UBERPOP-1]' }, { title: 'ok', jira_id: 'nope' }, { title: 'ok', extra: 1 }]) {
      const response = await call('POST', '/api/tasks', 'pip', body)
      assert.equal(response.status, 422, JSON.stringify(body))
    }
    for (const query of ['limit=0', 'limit=201', 'status=lost', 'assignee=nobody', 'cursor=abc']) {
      assert.equal((await call('GET', `/api/tasks?${query}`, 'pip')).status, 422, query)
    }
    assert.equal((await call('GET', '/api/tasks?limit=200', 'boss')).body.tasks.length, before)
  })

  test('deactivated accounts and new managers stop getting tasks; listing pages with a cursor', async () => {
    await publishAccount('kesha', 'popug', false, 'accounts.updated')
    await publishAccount('arno', 'manager', true, 'accounts.updated')
    await settled()
    for (let i = 0; i < 6; i++) {
      const task = (await call('POST', '/api/tasks', 'boss', { title: `Chore ${i}` })).body
      assert.equal(task.assignee_id, accounts.pip!.id, 'pip is the only eligible account left')
    }
    const mine = await call('GET', '/api/tasks?assignee=me&status=open&limit=4', 'pip')
    assert.equal(mine.body.tasks.length, 4)
    const next = await call('GET', `/api/tasks?assignee=me&status=open&limit=4&cursor=${mine.body.next_cursor}`, 'pip')
    const ids = [...mine.body.tasks, ...next.body.tasks].map((t: { task_id: string }) => t.task_id)
    assert.equal(new Set(ids).size, ids.length, 'pages do not overlap')
    assert.ok(ids.length >= 6)
    assert.ok([...mine.body.tasks, ...next.body.tasks].every((t: { assignee_id: string; assignee_name: string }) => t.assignee_id === accounts.pip!.id && t.assignee_name === 'pip'))
  })
})

function nameOf(id: string): string {
  return Object.entries(accounts).find(([, a]) => a.id === id)![0]
}
