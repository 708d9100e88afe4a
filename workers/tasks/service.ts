// tasks' commands: each change and its tasks.* events in one transaction (outbox).
import type { Handlers } from '../runtime/consumer.ts'
import type { WorkerContext } from '../runtime/worker.ts'
import { draw, isEligible, mayComplete, newTask, type Refusal } from './domain.ts'
import { type DB, eligibleIds, findTask, type TaskView } from './store.ts'

export type Ctx = WorkerContext<DB>
export type Random = () => number

export function isRefusal<T extends object>(value: T | Refusal): value is Refusal {
  return 'kind' in value
}

export function createTask(
  ctx: Ctx,
  random: Random,
  creator: string,
  input: { title: string; jira_id?: string | null | undefined; description?: string | undefined },
): TaskView | Refusal {
  const task = newTask(input)
  if (isRefusal(task)) return task
  return ctx.store.tx(() => {
    const assignee = draw(eligibleIds(ctx.store), random)
    if (!assignee) return { kind: 'no_assignee' } as const
    const taskId = ctx.newId()
    const at = ctx.now().toISOString()
    ctx.store
      .prepare(
        `INSERT INTO tasks (task_id, title, jira_id, description, status, assignee_id, created_by, created_at)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?)`,
      )
      .run(taskId, task.title, task.jira_id, task.description, assignee, creator, at)
    ctx.outbox.emit('tasks.created', { task_id: taskId, ...task, assignee_id: assignee, created_at: at })
    ctx.outbox.emit('tasks.assigned', { task_id: taskId, assignee_id: assignee, previous_assignee_id: null, assigned_at: at })
    return findTask(ctx.store, taskId)!
  })
}

/** Every open task gets a fresh draw: one pass, prepared statements, one transaction. */
export function reassignAll(ctx: Ctx, random: Random): number | Refusal {
  return ctx.store.tx(() => {
    const eligible = eligibleIds(ctx.store)
    if (eligible.length === 0) return { kind: 'no_assignee' } as const
    const open = ctx.store.prepare("SELECT task_id, assignee_id FROM tasks WHERE status = 'open' ORDER BY seq").raw().all() as Array<
      [string, string]
    >
    const update = ctx.store.prepare('UPDATE tasks SET assignee_id = ? WHERE task_id = ?')
    const at = ctx.now().toISOString()
    for (const [taskId, previous] of open) {
      const assignee = draw(eligible, random)!
      update.run(assignee, taskId)
      ctx.outbox.emit('tasks.assigned', { task_id: taskId, assignee_id: assignee, previous_assignee_id: previous, assigned_at: at })
    }
    return open.length
  })
}

export function completeTask(ctx: Ctx, caller: string, taskId: string): TaskView | Refusal {
  return ctx.store.tx(() => {
    const task = findTask(ctx.store, taskId)
    const refusal = mayComplete(task, caller)
    if (refusal) return refusal
    const at = ctx.now().toISOString()
    ctx.store.prepare("UPDATE tasks SET status = 'completed', completed_at = ? WHERE task_id = ?").run(at, taskId)
    ctx.outbox.emit('tasks.completed', { task_id: taskId, assignee_id: caller, completed_at: at })
    return findTask(ctx.store, taskId)!
  })
}

/** The replica of accounts: the newest snapshot wins (events carry the full account). */
export function accountHandlers(ctx: Ctx): Handlers {
  const upsert = ctx.store.prepare(
    `INSERT INTO accounts (account_id, name, role, active, eligible, as_of) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, role = excluded.role,
       active = excluded.active, eligible = excluded.eligible, as_of = excluded.as_of
     WHERE excluded.as_of >= accounts.as_of`,
  )
  type Snapshot = { account_id: string; name: string; role: 'admin' | 'manager' | 'accountant' | 'popug'; active: boolean }
  const apply = (a: Snapshot, asOf: string) => {
    upsert.run(a.account_id, a.name, a.role, a.active ? 1 : 0, isEligible(a) ? 1 : 0, asOf)
  }
  return {
    'accounts.created': (event) => apply(event.data, event.event_time),
    'accounts.updated': (event) => apply(event.data, event.event_time),
  }
}
