// What tasks' API and pages read: one task, and lists a page at a time.
import type { TaskPage } from '../../contracts/http/tasks.ts'
import { type Cursor, decodeCursor, encodeCursor } from '../runtime/cursor.ts'
import type { Ctx } from '../runtime/worker.ts'
import { countOpen, type DB, findTask, listTasks, type TaskView } from './store.ts'

export type TaskList = { assignee?: string | undefined; status?: 'open' | 'completed' | undefined; limit: number; cursor?: string | undefined }

export function taskOf(ctx: Ctx<DB>, id: string): TaskView | undefined {
  return findTask(ctx.store, id)
}

/** A page of tasks, newest first; undefined when the cursor is not one this API gave out. */
export function tasksPage(ctx: Ctx<DB>, list: TaskList): TaskPage | undefined {
  let cursor: Cursor | undefined
  if (list.cursor !== undefined) {
    cursor = decodeCursor(list.cursor)
    if (!cursor) return undefined
  }
  const page = listTasks(ctx.store, {
    ...(list.assignee ? { assignee: list.assignee } : {}),
    ...(list.status ? { status: list.status } : {}),
    limit: list.limit,
    ...(cursor ? { cursor } : {}),
  })
  return { tasks: page.tasks, next_cursor: page.next && encodeCursor(page.next) }
}

export function openTaskCount(ctx: Ctx<DB>): number {
  return countOpen(ctx.store)
}
