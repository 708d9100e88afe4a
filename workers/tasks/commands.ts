// tasks' commands: the domain decides, the store applies, and the decided events go to the
// outbox in the same transaction as the change they report.
import type { Ctx } from '../runtime/worker.ts'
import { type CreateTask, decideComplete, decideCreate, decideReassign, isRefusal, type Random, type Refusal } from './domain.ts'
import { assignTask, completeTask as storeCompletion, type DB, eligibleIds, findTask, insertTask, openTasksAfter, type TaskView } from './store.ts'

/** Resolves once committed; tasks created at the same moment share one commit. */
export function createTask(ctx: Ctx<DB>, random: Random, command: CreateTask): Promise<TaskView | Refusal> {
  return ctx.store.txGrouped((): TaskView | Refusal => {
    const decision = decideCreate(command, { eligible: eligibleIds(ctx.store), random, taskId: ctx.newId(), now: ctx.now().toISOString() })
    if (isRefusal(decision)) return decision
    const { created, assigned } = decision
    insertTask(ctx.store, created)
    ctx.outbox.emit('tasks.created', created)
    ctx.outbox.emit('tasks.assigned', assigned)
    return findTask(ctx.store, created.task_id)!
  })
}

/** Open tasks read per page of a reassignment: enough to keep the loop cheap, few enough to keep memory flat. */
const REASSIGN_PAGE = 1000

/**
 * Every open task gets a fresh draw, in one transaction: a crash before the commit leaves every
 * task with its old assignee and no event, so pressing again is all it takes (nothing half done
 * to resume). Open tasks are read a page at a time, after the last one drawn.
 */
export function reassignAll(ctx: Ctx<DB>, random: Random): { reassigned: number } | Refusal {
  return ctx.store.tx(() => {
    const given = { eligible: eligibleIds(ctx.store), random, now: ctx.now().toISOString() }
    let reassigned = 0
    for (let after = 0; ; ) {
      const page = openTasksAfter(ctx.store, after, REASSIGN_PAGE)
      const decision = decideReassign(page.tasks, given, (assigned) => {
        assignTask(ctx.store, assigned)
        ctx.outbox.emit('tasks.assigned', assigned)
      })
      // Nobody eligible is refused on the first page, before anything changed.
      if (isRefusal(decision)) return decision
      reassigned += decision.reassigned
      if (page.last === undefined || page.tasks.length < REASSIGN_PAGE) return { reassigned }
      after = page.last
    }
  })
}

export function completeTask(ctx: Ctx<DB>, caller: string, taskId: string): TaskView | Refusal {
  return ctx.store.tx(() => {
    const completed = decideComplete(findTask(ctx.store, taskId), caller, ctx.now().toISOString())
    if (isRefusal(completed)) return completed
    storeCompletion(ctx.store, completed)
    ctx.outbox.emit('tasks.completed', completed)
    return findTask(ctx.store, taskId)!
  })
}
