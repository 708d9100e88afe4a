// tasks' JSON API (SPEC §4): validate, authorize, run the command, map refusals to statuses.
import { Hono } from 'hono'
import { limitOf } from '../../contracts/http/paging.ts'
import { CreateTaskBody, ListTasksQuery } from '../../contracts/http/tasks.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { orInvalidCursor } from '../runtime/cursor.ts'
import { check, jsonBody, refusalError, type RefusalTable, refusing } from '../runtime/http.ts'
import { keptJson } from '../runtime/kept.ts'
import type { Ctx } from '../runtime/worker.ts'
import { completeTask, createTask, reassignAll } from './commands.ts'
import type { Random, Refusal } from './domain.ts'
import { taskOf, tasksPage } from './queries.ts'
import type { DB } from './store.ts'

export const REFUSALS: RefusalTable<Refusal> = {
  invalid_title: { status: 422 },
  invalid_jira_id: { status: 422 },
  invalid_description: { status: 422 },
  no_assignee: { status: 409, message: 'nobody can take a task: there is no active account that is neither admin nor manager' },
  not_found: { status: 404, message: 'no such task' },
  not_assignee: { status: 403, message: 'only the assignee may complete a task' },
  already_completed: { status: 409, message: 'the task is already completed' },
}

/** The message a refusal is shown with, on a page as in the API. */
export const refusalMessage = (refusal: Refusal) => refusalError(REFUSALS, refusal).message

export function apiRoutes(ctx: Ctx<DB>, random: Random): Hono<AuthEnv> {
  const orRefuse = refusing(REFUSALS)
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx)))

  api.post('/tasks', async (c) => {
    const task = orRefuse(await createTask(ctx, random, await jsonBody(c, CreateTaskBody)))
    return c.json(task, 201)
  })
  api.post('/tasks/reassign', requireRole('manager', 'admin'), (c) => c.json(orRefuse(reassignAll(ctx, random))))
  api.post('/tasks/:id/complete', (c) => c.json(orRefuse(completeTask(ctx, c.get('caller').id, c.req.param('id')))))
  api.get('/tasks', (c) => {
    const caller = c.get('caller').id
    // A page is the same for the same words asked by the same caller ('me' is the caller).
    return keptJson(c, ctx.store, `tasks ${caller}`, () => {
      const query = check(ListTasksQuery, c.req.query(), 'query')
      const list = { assignee: query.assignee === 'me' ? caller : query.assignee, status: query.status, limit: limitOf(query), cursor: query.cursor }
      return orInvalidCursor(tasksPage(ctx, list))
    })
  })
  api.get('/tasks/:id', (c) => c.json(orRefuse(taskOf(ctx, c.req.param('id')) ?? { kind: 'not_found' as const })))
  return new Hono<AuthEnv>().route('/api', api)
}
