// tasks' JSON API (SPEC §4): validate, authorize, run the command, map refusals to statuses.
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { CreateTaskBody, ListTasksQuery } from '../../contracts/http/tasks.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check, HttpError, jsonBody } from '../runtime/http.ts'
import { completeTask, createTask, type Ctx, reassignAll } from './commands.ts'
import { isRefusal, type Random, type Refusal } from './domain.ts'
import { decodeCursor, encodeCursor, findTask, listTasks } from './store.ts'

const STATUS: Record<Refusal['kind'], ContentfulStatusCode> = {
  invalid_title: 422,
  invalid_jira_id: 422,
  invalid_description: 422,
  no_assignee: 409,
  not_found: 404,
  not_assignee: 403,
  already_completed: 409,
}

const MESSAGES: Partial<Record<Refusal['kind'], string>> = {
  no_assignee: 'nobody can take a task: there is no active account that is neither admin nor manager',
  not_found: 'no such task',
  not_assignee: 'only the assignee may complete a task',
  already_completed: 'the task is already completed',
}

export function refusal(r: Refusal): HttpError {
  return new HttpError(STATUS[r.kind], r.kind, 'message' in r ? r.message : (MESSAGES[r.kind] ?? r.kind))
}

export function apiRoutes(ctx: Ctx, random: Random): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx.config, 'tasks')))

  api.post('/tasks', async (c) => {
    const result = await createTask(ctx, random, c.get('caller').id, await jsonBody(c, CreateTaskBody))
    if (isRefusal(result)) throw refusal(result)
    return c.json(result, 201)
  })
  api.post('/tasks/reassign', requireRole('manager', 'admin'), (c) => {
    const result = reassignAll(ctx, random)
    if (isRefusal(result)) throw refusal(result)
    return c.json(result)
  })
  api.post('/tasks/:id/complete', (c) => {
    const result = completeTask(ctx, c.get('caller').id, c.req.param('id'))
    if (isRefusal(result)) throw refusal(result)
    return c.json(result)
  })
  api.get('/tasks', (c) => {
    const query = check(ListTasksQuery, c.req.query(), 'query')
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
    if (query.cursor !== undefined && !cursor) throw new HttpError(422, 'invalid_cursor', 'cursor is not one this API gave out')
    const assignee = query.assignee === 'me' ? c.get('caller').id : query.assignee
    const page = listTasks(ctx.store, {
      ...(assignee ? { assignee } : {}),
      ...(query.status ? { status: query.status } : {}),
      limit: Number(query.limit ?? 50),
      ...(cursor ? { cursor } : {}),
    })
    return c.json({ tasks: page.tasks, next_cursor: page.next && encodeCursor(page.next) })
  })
  api.get('/tasks/:id', (c) => {
    const task = findTask(ctx.store, c.req.param('id'))
    if (!task) throw refusal({ kind: 'not_found' })
    return c.json(task)
  })
  return new Hono<AuthEnv>().route('/api', api)
}
