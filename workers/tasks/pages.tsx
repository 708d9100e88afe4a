// The task tracker dashboard: my open tasks with Complete, all tasks with filters, a create
// form, and for managers/admins the reassignment with a confirmation step. No JavaScript.
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, type Caller } from '../runtime/auth.ts'
import { HttpError, sameOrigins } from '../runtime/http.ts'
import { timeIn } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import { refusal } from './http.ts'
import { completeTask, createTask, type Ctx, isRefusal, type Random, reassignAll } from './service.ts'
import { countOpen, listTasks, type TaskView } from './store.ts'

const back = (notice: string, error = false) => `/?${error ? 'error' : 'notice'}=${encodeURIComponent(notice)}`
const field = (form: Record<string, unknown>, key: string) => (typeof form[key] === 'string' ? (form[key] as string) : undefined)

export function pageRoutes(ctx: Ctx, random: Random): Hono<AuthEnv> {
  const { config } = ctx
  const urls = config.publicUrls
  const app = new Hono<AuthEnv>()
  app.use('*', sameOrigins(Object.values(urls)))
  app.use('*', authenticate(authOptions(config, 'tasks')))

  function TaskTable({ tasks, caller, completable }: { tasks: TaskView[]; caller: Caller; completable: boolean }) {
    if (tasks.length === 0) return <p class="muted">No tasks here.</p>
    return (
      <table>
        <thead>
          <tr>
            <th>Task</th>
            <th>Assignee</th>
            <th>Status</th>
            <th>Created</th>
            {completable && <th />}
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr>
              <td>
                {t.jira_id && <span class="muted">[{t.jira_id}] </span>}
                <b>{t.title}</b>
                {t.description && <div class="muted">{t.description}</div>}
              </td>
              <td>{t.assignee_id === caller.id ? 'me' : (t.assignee_name ?? t.assignee_id.slice(0, 8))}</td>
              <td>{t.status === 'open' ? 'open' : `completed ${t.completed_at ? timeIn(config.tz, t.completed_at) : ''}`}</td>
              <td>{timeIn(config.tz, t.created_at)}</td>
              {completable && (
                <td>
                  <form class="inline" method="post" action={`/tasks/${t.task_id}/complete`}>
                    <button type="submit">Complete</button>
                  </form>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    )
  }

  app.get('/', (c) => {
    const caller = c.get('caller')
    const status = c.req.query('status') === 'open' || c.req.query('status') === 'completed' ? (c.req.query('status') as 'open' | 'completed') : undefined
    const mine = c.req.query('assignee') === 'me'
    const myOpen = listTasks(ctx.store, { assignee: caller.id, status: 'open', limit: 200 }).tasks
    const all = listTasks(ctx.store, { ...(status ? { status } : {}), ...(mine ? { assignee: caller.id } : {}), limit: 100 }).tasks
    const manages = caller.role === 'manager' || caller.role === 'admin'
    const notice = c.req.query('notice')
    const error = c.req.query('error')
    return c.html(
      <Layout title="Tasks" caller={caller} current="tasks" urls={urls}>
        {notice && <p class="notice">{notice}</p>}
        {error && <p class="notice error">{error}</p>}
        <section>
          <h2>My open tasks ({myOpen.length})</h2>
          <TaskTable tasks={myOpen} caller={caller} completable={true} />
        </section>
        <section>
          <h2>New task</h2>
          <form method="post" action="/tasks">
            <label for="title">Title</label>
            <input id="title" name="title" required maxlength={300} style="width:100%" />
            <label for="jira_id">Jira id (optional, like UBERPOP-42)</label>
            <input id="jira_id" name="jira_id" maxlength={64} />
            <label for="description">Description</label>
            <textarea id="description" name="description" rows={3} maxlength={5000} />
            <p>
              <button type="submit">Create task</button> <span class="muted">It goes to a random popug.</span>
            </p>
          </form>
        </section>
        {manages && (
          <section>
            <h2>Reassignment</h2>
            <p>
              <a class="button" href="/reassign">
                Reassign open tasks
              </a>{' '}
              <span class="muted">Every open task gets a new random assignee.</span>
            </p>
          </section>
        )}
        <section>
          <h2>All tasks</h2>
          <form method="get" action="/">
            <select name="status" aria-label="status">
              <option value="">any status</option>
              <option value="open" selected={status === 'open'}>
                open
              </option>
              <option value="completed" selected={status === 'completed'}>
                completed
              </option>
            </select>{' '}
            <label class="inline">
              <input type="checkbox" name="assignee" value="me" checked={mine} /> only mine
            </label>{' '}
            <button class="secondary" type="submit">
              Filter
            </button>
          </form>
          <TaskTable tasks={all} caller={caller} completable={false} />
        </section>
      </Layout>,
    )
  })

  app.post('/tasks', async (c) => {
    const form = await c.req.parseBody()
    const title = field(form, 'title') ?? ''
    if (title.length > 300 || (field(form, 'description') ?? '').length > 5000) return c.redirect(back('The title or description is too long.', true), 303)
    const result = createTask(ctx, random, c.get('caller').id, {
      title,
      jira_id: field(form, 'jira_id') || null,
      description: field(form, 'description') ?? '',
    })
    if (isRefusal(result)) return c.redirect(back(refusal(result).message, true), 303)
    return c.redirect(back(`Created "${result.title}" and assigned it to ${result.assignee_name ?? 'a popug'}.`), 303)
  })

  app.post('/tasks/:id/complete', (c) => {
    const result = completeTask(ctx, c.get('caller').id, c.req.param('id'))
    if (isRefusal(result)) return c.redirect(back(refusal(result).message, true), 303)
    return c.redirect(back(`Completed "${result.title}".`), 303)
  })

  const manager = (caller: Caller) => {
    if (caller.role !== 'manager' && caller.role !== 'admin') throw new HttpError(403, 'forbidden', 'only managers and admins reassign tasks')
  }
  app.get('/reassign', (c) => {
    manager(c.get('caller'))
    const open = countOpen(ctx.store)
    return c.html(
      <Layout title="Reassign open tasks" caller={c.get('caller')} current="tasks" urls={urls}>
        <section>
          <p>
            This gives each of the <b>{open}</b> open tasks a new random assignee. Every assignment charges the new
            assignee the task's fee.
          </p>
          <form method="post" action="/reassign">
            <button type="submit">Yes, reassign {open} open tasks</button>{' '}
            <a href="/">Cancel</a>
          </form>
        </section>
      </Layout>,
    )
  })
  app.post('/reassign', (c) => {
    manager(c.get('caller'))
    const result = reassignAll(ctx, random)
    if (typeof result !== 'number') return c.redirect(back(refusal(result).message, true), 303)
    return c.redirect(back(`Reassigned ${result} open tasks.`), 303)
  })
  return app
}
