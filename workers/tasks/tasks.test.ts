// tasks through real HTTP, a real nats-server and its own SQLite file; accounts arrive as
// accounts.* events on the ACCOUNTS stream, the way auth publishes them.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { decodeEvent } from '../../contracts/envelope.ts'
import { startTasks, type TasksFixture } from './testing/fixture.ts'

let f: TasksFixture

async function call(method: string, path: string, who?: string, body?: unknown) {
  const token = who ? f.accounts[who]!.token : undefined
  const response = await fetch(`${f.tasks.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

async function taskEvents() {
  await f.tasks.relay.flushed()
  return (await f.streams.read('TASKS')).map((m) => {
    const decoded = decodeEvent(m.subject, new TextEncoder().encode(m.data))
    assert.ok(decoded.ok, `valid envelope on ${m.subject}: ${decoded.ok ? '' : decoded.reason}`)
    assert.equal(m.headers?.get('Nats-Msg-Id'), decoded.event.event_id, 'deduplicated by event id')
    return { subject: m.subject, event: decoded.event }
  })
}

before(async () => {
  // A fixed sequence instead of chance: the tests below know who is drawn.
  let turn = 0
  f = await startTasks(() => [0.1, 0.6, 0.3, 0.9][turn++ % 4]!)
})

after(() => f.stop())

describe('tasks', () => {
  test('with nobody to assign, a task is refused with 409 and nothing is stored or published', async () => {
    await f.publishAccount('boss', 'admin')
    await f.publishAccount('mila', 'manager')
    await f.settled()
    const response = await call('POST', '/api/tasks', 'boss', { title: 'Polish the beak' })
    assert.equal(response.status, 409)
    assert.equal(response.body.error.code, 'no_assignee')
    assert.equal((await call('GET', '/api/tasks', 'boss')).body.tasks.length, 0)
    assert.equal((await taskEvents()).length, 0)
  })

  test('an account published while tasks runs becomes assignable without a restart', async () => {
    await f.publishAccount('pip', 'popug')
    await f.publishAccount('kesha', 'popug')
    await f.publishAccount('arno', 'accountant')
    await f.publishAccount('sleepy', 'popug', false)
    await f.settled()
    const created = await call('POST', '/api/tasks', 'mila', { title: '[UBERPOP-42] Polish the beak', description: 'until it shines' })
    assert.equal(created.status, 201, JSON.stringify(created.body))
    assert.equal(created.body.title, 'Polish the beak')
    assert.equal(created.body.jira_id, 'UBERPOP-42')
    assert.ok([f.accounts.pip!.id, f.accounts.kesha!.id, f.accounts.arno!.id].includes(created.body.assignee_id))
  })

  test('create → reassign → complete puts the right events on the TASKS stream', async () => {
    const before = (await taskEvents()).length
    const created = (await call('POST', '/api/tasks', 'pip', { title: 'Count the millet', jira_id: 'UBERPOP-7' })).body
    const open = (await call('GET', '/api/tasks?status=open', 'boss')).body.tasks.length
    const reassigned = await call('POST', '/api/tasks/reassign', 'mila')
    assert.deepEqual(reassigned.body, { reassigned: open })
    const now = (await call('GET', `/api/tasks/${created.task_id}`, 'pip')).body
    const completed = await call('POST', `/api/tasks/${created.task_id}/complete`, f.nameOf(now.assignee_id))
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
    const other = [f.accounts.pip!, f.accounts.kesha!, f.accounts.arno!].find((a) => a.id !== task.assignee_id)!
    const refused = await call('POST', `/api/tasks/${task.task_id}/complete`, f.nameOf(other.id))
    assert.equal(refused.status, 403)
    assert.equal(refused.body.error.code, 'not_assignee')
    assert.equal((await call('POST', `/api/tasks/${task.task_id}/complete`, f.nameOf(task.assignee_id))).status, 200)
    assert.equal((await call('POST', `/api/tasks/${task.task_id}/complete`, f.nameOf(task.assignee_id))).status, 409)
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
    await f.publishAccount('kesha', 'popug', false, 'accounts.updated')
    await f.publishAccount('arno', 'manager', true, 'accounts.updated')
    await f.settled()
    for (let i = 0; i < 6; i++) {
      const task = (await call('POST', '/api/tasks', 'boss', { title: `Chore ${i}` })).body
      assert.equal(task.assignee_id, f.accounts.pip!.id, 'pip is the only eligible account left')
    }
    const mine = await call('GET', '/api/tasks?assignee=me&status=open&limit=4', 'pip')
    assert.equal(mine.body.tasks.length, 4)
    const next = await call('GET', `/api/tasks?assignee=me&status=open&limit=4&cursor=${mine.body.next_cursor}`, 'pip')
    const ids = [...mine.body.tasks, ...next.body.tasks].map((t: { task_id: string }) => t.task_id)
    assert.equal(new Set(ids).size, ids.length, 'pages do not overlap')
    assert.ok(ids.length >= 6)
    assert.ok([...mine.body.tasks, ...next.body.tasks].every((t: { assignee_id: string; assignee_name: string }) => t.assignee_id === f.accounts.pip!.id && t.assignee_name === 'pip'))
  })

  test('a page asked again is the answer kept until the database changes: a new task and a completion show at the next ask', async () => {
    const path = '/api/tasks?assignee=me&limit=200'
    const kept = async () => Number(/^ates_http_kept_answers_total\{outcome="kept"\} (\d+)$/m.exec(await (await fetch(`${f.tasks.url}/metrics`)).text())?.[1] ?? 0)
    // Read before both asks: a scrape of /metrics writes the health probe, which drops what is kept.
    const keptBefore = await kept()
    const first = await call('GET', path, 'pip')
    assert.deepEqual((await call('GET', path, 'pip')).body, first.body)
    assert.equal(await kept(), keptBefore + 1, 'the second ask is answered as kept')
    // Kesha is inactive and Arno a manager (above): a new task is Pip's.
    const task = (await call('POST', '/api/tasks', 'boss', { title: 'Sort the seeds' })).body
    const withNew = (await call('GET', path, 'pip')).body
    assert.equal(withNew.tasks[0].task_id, task.task_id)
    assert.equal(withNew.tasks.length, first.body.tasks.length + 1)
    assert.equal((await call('POST', `/api/tasks/${task.task_id}/complete`, 'pip')).status, 200)
    const completed = (await call('GET', path, 'pip')).body
    assert.equal(completed.tasks[0].status, 'completed')
    // Another caller asking the same words gets its own page ('me' is whoever asks).
    assert.ok((await call('GET', path, 'boss')).body.tasks.every((t: { assignee_id: string }) => t.assignee_id === f.accounts.boss!.id))
    const metrics = await (await fetch(`${f.tasks.url}/metrics`)).text()
    assert.match(metrics, /^ates_http_kept_answers_total\{outcome="kept"\} [1-9]\d*$/m)
    assert.match(metrics, /^ates_http_kept_answers_total\{outcome="read"\} [1-9]\d*$/m)
  })
})
