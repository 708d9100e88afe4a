// A reassignment of more open tasks than it reads at once: every open task is drawn exactly
// once, completed ones never, and a failure on a later page leaves the earlier pages undone.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { completeTask, createTask, reassignAll } from './commands.ts'
import { isRefusal } from './domain.ts'
import { startTasks, type TasksFixture } from './testing/fixture.ts'

const TASKS = 2_500
const COMPLETED_EVERY = 7

let f: TasksFixture
// Draws fail from this many calls on, when set: a failure in the middle of a reassignment.
let failFromDraw: number | undefined
let draws = 0

const random = () => {
  draws += 1
  if (failFromDraw !== undefined && draws >= failFromDraw) throw new Error('the source of randomness failed')
  return (draws * 0.6180339887) % 1
}

before(async () => {
  f = await startTasks(random)
})

after(() => f.stop())

type Row = { task_id: string; status: string; assignee_id: string }
const tasks = () => f.tasks.ctx.store.sqlite.prepare('SELECT task_id, status, assignee_id FROM tasks ORDER BY seq').all() as Row[]
const outboxed = () => f.tasks.ctx.store.sqlite.prepare("SELECT payload FROM outbox WHERE subject = 'tasks.assigned.v1'").pluck().all() as string[]

async function reassign(): Promise<Response> {
  return fetch(`${f.tasks.url}/api/tasks/reassign`, { method: 'POST', headers: { authorization: `Bearer ${f.accounts.mila!.token}` } })
}

// With the relay stopped an HTTP write would wait for its events to be stored (and answer 504):
// the command is called as the route calls it, and its events counted in the outbox.

test(`${TASKS} tasks, every ${COMPLETED_EVERY}th completed: one reassignment draws each open task once`, async () => {
  await f.publishAccount('mila', 'manager')
  for (const name of ['pip', 'kesha', 'arno', 'zazu']) await f.publishAccount(name, 'popug')
  await f.settled()
  const { ctx } = f.tasks
  for (let i = 0; i < TASKS; i++) {
    const task = await createTask(ctx, Math.random, { title: `Chore ${i}` })
    assert.ok(!isRefusal(task))
    if (i % COMPLETED_EVERY === 0) assert.ok(!isRefusal(completeTask(ctx, task.assignee_id, task.task_id)))
  }
  await f.tasks.relay.flushed(30_000)
  const before = tasks()
  const open = before.filter((t) => t.status === 'open')
  assert.ok(open.length > 2 * 1000, 'more open tasks than two pages')

  // Stop the relay so the reassignment's events stay in the outbox to be counted.
  await f.tasks.relay.stop()
  assert.deepEqual(reassignAll(f.tasks.ctx, random), { reassigned: open.length })
  const events = outboxed().map((p) => (JSON.parse(p) as { data: { task_id: string; previous_assignee_id: string; assignee_id: string } }).data)
  assert.equal(events.length, open.length)
  assert.deepEqual(new Set(events.map((e) => e.task_id)), new Set(open.map((t) => t.task_id)), 'each open task once, no completed one')
  const now = new Map(tasks().map((t) => [t.task_id, t]))
  for (const task of before) {
    const event = events.find((e) => e.task_id === task.task_id)
    if (task.status === 'completed') assert.equal(now.get(task.task_id)!.assignee_id, task.assignee_id, 'a completed task keeps its assignee')
    else {
      assert.equal(event!.previous_assignee_id, task.assignee_id)
      assert.equal(now.get(task.task_id)!.assignee_id, event!.assignee_id)
    }
  }
  f.tasks.relay.start()
  await f.tasks.relay.flushed(30_000)
})

test('a draw failing on the third page undoes the first two: no task changed, no event written', async () => {
  const before = tasks()
  const open = before.filter((t) => t.status === 'open').length
  assert.ok(open > 2_100)
  // The relay stopped: an event committed by the failed reassignment would stay in the outbox.
  await f.tasks.relay.stop()
  failFromDraw = draws + 2_100
  const response = await reassign()
  failFromDraw = undefined
  assert.equal(response.status, 500)
  assert.deepEqual(tasks(), before)
  assert.deepEqual(outboxed(), [])
  // Pressed again, it does the whole reassignment.
  assert.deepEqual(reassignAll(f.tasks.ctx, random), { reassigned: open })
  assert.equal(outboxed().length, open)
  f.tasks.relay.start()
  await f.tasks.relay.flushed(30_000)
})
