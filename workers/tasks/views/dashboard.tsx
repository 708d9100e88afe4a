// The task tracker's pages: my open tasks with Complete, a create form, all tasks with
// filters, and for managers/admins the way to the reassignment. Plain HTML, no JavaScript.
import type { Caller } from '../../runtime/auth.ts'
import { momentIn } from '../../runtime/views/format.ts'
import { Layout, type LayoutProps } from '../../runtime/views/layout.tsx'
import type { TaskView } from '../store.ts'
import { Table } from '../../runtime/views/table.tsx'

type Frame = { caller: Caller; urls: LayoutProps['urls']; tz: string }

function TaskTable({ tasks, caller, tz, completable }: { tasks: TaskView[]; caller: Caller; tz: string; completable: boolean }) {
  if (tasks.length === 0) return <p class="muted">No tasks here.</p>
  return (
    <Table head={['Task', 'Assignee', 'Status', 'Created', completable && '']}>
        {tasks.map((t) => (
          <tr>
            <td>
              {t.jira_id && <span class="muted">[{t.jira_id}] </span>}
              <b>{t.title}</b>
              {t.description && <div class="muted">{t.description}</div>}
            </td>
            <td>{t.assignee_id === caller.id ? 'me' : (t.assignee_name ?? t.assignee_id.slice(0, 8))}</td>
            <td>
              {t.status}
              {t.completed_at && <div class="muted nowrap">{momentIn(tz, t.completed_at)}</div>}
            </td>
            <td class="nowrap">{momentIn(tz, t.created_at)}</td>
            {completable && (
              <td>
                <form class="inline" method="post" action={`/tasks/${t.task_id}/complete`}>
                  <button type="submit">Complete</button>
                </form>
              </td>
            )}
          </tr>
        ))}
      </Table>
  )
}

export type DashboardProps = Frame & {
  myOpen: TaskView[]
  all: TaskView[]
  /** The cursor of the next older page, if any, and whether this is not the newest page. */
  pages: { older: string | null; paged: boolean }
  filter: { status: 'open' | 'completed' | undefined; mine: boolean }
  notice: string | undefined
  error: string | undefined
}

/** A link to another page of the list that keeps the filter. */
function pageLink(filter: DashboardProps['filter'], cursor?: string): string {
  const query = new URLSearchParams()
  if (filter.status) query.set('status', filter.status)
  if (filter.mine) query.set('assignee', 'me')
  if (cursor) query.set('cursor', cursor)
  const text = query.toString()
  return text ? `/?${text}#all` : '/#all'
}

export function Dashboard({ caller, urls, tz, myOpen, all, pages, filter, notice, error }: DashboardProps) {
  const manages = caller.role === 'manager' || caller.role === 'admin'
  return (
    <Layout title="Tasks" caller={caller} current="tasks" urls={urls}>
      {notice && <p class="notice">{notice}</p>}
      {error && <p class="notice error">{error}</p>}
      <section>
        <h2>My open tasks ({myOpen.length})</h2>
        <TaskTable tasks={myOpen} caller={caller} tz={tz} completable={true} />
      </section>
      <section>
        <h2>New task</h2>
        <form method="post" action="/tasks">
          <label for="title">Title</label>
          <input id="title" class="wide" name="title" required maxlength={300} />
          <label for="jira_id">Jira id (optional, like UBERPOP-42)</label>
          <input id="jira_id" name="jira_id" maxlength={64} />
          <label for="description">Description</label>
          <textarea id="description" name="description" rows={3} maxlength={5000} />
          <p>
            <button type="submit">Create task</button> <span class="muted">It goes to a random employee who takes tasks.</span>
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
      <section id="all">
        <h2>All tasks</h2>
        <form class="pick" method="get" action="/">
          <select name="status" aria-label="status">
            <option value="">any status</option>
            <option value="open" selected={filter.status === 'open'}>
              open
            </option>
            <option value="completed" selected={filter.status === 'completed'}>
              completed
            </option>
          </select>
          <label class="inline">
            <input type="checkbox" name="assignee" value="me" checked={filter.mine} /> only mine
          </label>
          <button class="secondary" type="submit">
            Filter
          </button>
        </form>
        <TaskTable tasks={all} caller={caller} tz={tz} completable={false} />
        {(pages.paged || pages.older) && (
          <p>
            {pages.paged && <a href={pageLink(filter)}>← Newest</a>} {pages.older && <a href={pageLink(filter, pages.older)}>Older tasks →</a>}
          </p>
        )}
      </section>
    </Layout>
  )
}

/** The confirmation step before every open task is drawn again. */
export function ConfirmReassign({ caller, urls, open }: Omit<Frame, 'tz'> & { open: number }) {
  return (
    <Layout title="Reassign open tasks" caller={caller} current="tasks" urls={urls}>
      <section>
        <p>
          This gives each of the <b>{open}</b> open tasks a new random assignee. Every assignment charges the new assignee
          the task's fee.
        </p>
        <form method="post" action="/reassign">
          <button type="submit">Yes, reassign {open} open tasks</button> <a href="/">Cancel</a>
        </form>
      </section>
    </Layout>
  )
}
