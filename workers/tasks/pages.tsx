// The dashboard's routes: pages behind the login, form posts (from aTES pages only: the
// runtime's ownPagesOnly), each answered with a 303 back to / and a notice.
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, type Caller } from '../runtime/auth.ts'
import { HttpError } from '../runtime/http.ts'
import { refusalPages } from '../runtime/views/refusal.tsx'
import type { Ctx } from '../runtime/worker.ts'
import { RAW_TITLE_MAX } from '../../contracts/common.ts'
import { completeTask, createTask, reassignAll } from './commands.ts'
import { isRefusal, type Random } from './domain.ts'
import { refusalMessage } from './http.ts'
import { openTaskCount, tasksPage } from './queries.ts'
import type { DB } from './store.ts'
import { ConfirmReassign, Dashboard } from './views/dashboard.tsx'

const back = (notice: string, error = false) => `/?${error ? 'error' : 'notice'}=${encodeURIComponent(notice)}`
const field = (form: Record<string, unknown>, key: string) => {
  const value = form[key]
  return typeof value === 'string' ? value : undefined
}
const PAGE = 100
const status = (value: string | undefined): 'open' | 'completed' | undefined => (value === 'open' || value === 'completed' ? value : undefined)

function mustManage(caller: Caller) {
  if (caller.role !== 'manager' && caller.role !== 'admin') throw new HttpError(403, 'forbidden', 'only managers and admins reassign tasks')
}

export function pageRoutes(ctx: Ctx<DB>, random: Random): Hono<AuthEnv> {
  const { config } = ctx
  const urls = config.publicUrls
  const app = new Hono<AuthEnv>()
  app.use('*', authenticate(authOptions(ctx)))
  app.use('*', refusalPages('tasks', urls))

  app.get('/', (c) => {
    const caller = c.get('caller')
    const filter = { status: status(c.req.query('status')), mine: c.req.query('assignee') === 'me' }
    const myOpen = tasksPage(ctx, { assignee: caller.id, status: 'open', limit: 200 })!.tasks
    const cursor = c.req.query('cursor') || undefined
    const all = tasksPage(ctx, { status: filter.status, assignee: filter.mine ? caller.id : undefined, cursor, limit: PAGE })
    if (!all) throw new HttpError(422, 'invalid_cursor', 'this page link is not one the dashboard gave out')
    const older = all.next_cursor
    return c.html(
      <Dashboard
        caller={caller}
        urls={urls}
        tz={config.tz}
        myOpen={myOpen}
        all={all.tasks}
        pages={{ older, paged: cursor !== undefined }}
        filter={filter}
        notice={c.req.query('notice')}
        error={c.req.query('error')}
      />,
    )
  })

  app.post('/tasks', async (c) => {
    const form = await c.req.parseBody()
    const title = field(form, 'title') ?? ''
    if (title.length > RAW_TITLE_MAX) return c.redirect(back('The title is too long.', true), 303)
    const result = await createTask(ctx, random, {
      title,
      jira_id: field(form, 'jira_id') || null,
      description: field(form, 'description') ?? '',
    })
    if (isRefusal(result)) return c.redirect(back(refusalMessage(result), true), 303)
    return c.redirect(back(`Created "${result.title}" and assigned it to ${result.assignee_name ?? 'a popug'}.`), 303)
  })

  app.post('/tasks/:id/complete', (c) => {
    const result = completeTask(ctx, c.get('caller').id, c.req.param('id'))
    if (isRefusal(result)) return c.redirect(back(refusalMessage(result), true), 303)
    return c.redirect(back(`Completed "${result.title}".`), 303)
  })

  app.get('/reassign', (c) => {
    mustManage(c.get('caller'))
    return c.html(<ConfirmReassign caller={c.get('caller')} urls={urls} open={openTaskCount(ctx)} />)
  })
  app.post('/reassign', (c) => {
    mustManage(c.get('caller'))
    const result = reassignAll(ctx, random)
    if (isRefusal(result)) return c.redirect(back(refusalMessage(result), true), 303)
    return c.redirect(back(`Reassigned ${result.reassigned} open tasks.`), 303)
  })
  return app
}
