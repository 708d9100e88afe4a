// tasks' commands: the domain decides, the store applies, and the decided events go to the
// outbox in the same transaction as the change they report.
import type { WorkerContext } from '../runtime/worker.ts'
import { type CreateTask, decideComplete, decideCreate, decideReassign, isRefusal, type Random, type Refusal } from './domain.ts'
import { type DB, eligibleIds, findTask, openTasks, type TaskView } from './store.ts'

export type Ctx = WorkerContext<DB>

/** Resolves once committed; tasks created at the same moment share one commit. */
export function createTask(ctx: Ctx, random: Random, creator: string, command: CreateTask): Promise<TaskView | Refusal> {
  return ctx.store.txGrouped((): TaskView | Refusal => {
    const decision = decideCreate(command, { eligible: eligibleIds(ctx.store), random, taskId: ctx.newId(), now: ctx.now().toISOString() })
    if (isRefusal(decision)) return decision
    const { created, assigned } = decision
    ctx.store
      .prepare(
        `INSERT INTO tasks (task_id, title, jira_id, description, status, assignee_id, created_by, created_at)
         VALUES (?, ?, ?, ?, 'open', ?, ?, ?)`,
      )
      .run(created.task_id, created.title, created.jira_id, created.description, created.assignee_id, creator, created.created_at)
    ctx.outbox.emit('tasks.created', created)
    ctx.outbox.emit('tasks.assigned', assigned)
    return findTask(ctx.store, created.task_id)!
  })
}

/** Every open task gets a fresh draw: one read, one prepared update per task, one transaction. */
export function reassignAll(ctx: Ctx, random: Random): { reassigned: number } | Refusal {
  return ctx.store.tx(() => {
    const update = ctx.store.prepare('UPDATE tasks SET assignee_id = ? WHERE task_id = ?')
    return decideReassign(openTasks(ctx.store), { eligible: eligibleIds(ctx.store), random, now: ctx.now().toISOString() }, (assigned) => {
      update.run(assigned.assignee_id, assigned.task_id)
      ctx.outbox.emit('tasks.assigned', assigned)
    })
  })
}

export function completeTask(ctx: Ctx, caller: string, taskId: string): TaskView | Refusal {
  return ctx.store.tx(() => {
    const completed = decideComplete(findTask(ctx.store, taskId), caller, ctx.now().toISOString())
    if (isRefusal(completed)) return completed
    ctx.store.prepare("UPDATE tasks SET status = 'completed', completed_at = ? WHERE task_id = ?").run(completed.completed_at, taskId)
    ctx.outbox.emit('tasks.completed', completed)
    return findTask(ctx.store, taskId)!
  })
}
