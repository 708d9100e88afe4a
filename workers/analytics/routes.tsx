// analytics' API and dashboard, for admins only.
import { Hono } from 'hono'
import { DaysQuery, MostExpensiveQuery } from '../../contracts/http/analytics.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check, HttpError } from '../runtime/http.ts'
import { dollars } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import { type Ctx, days, type Expensive, mostExpensiveIn, today } from './model.ts'

function shift(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

function range(ctx: Ctx, query: { from?: string | undefined; to?: string | undefined }) {
  const to = query.to ?? today(ctx).business_day
  const from = query.from ?? shift(to, -13)
  if (from > to) throw new HttpError(422, 'invalid', 'from must not be after to')
  if (shift(from, 366) <= to) throw new HttpError(422, 'invalid', 'the range may span at most 366 days')
  return { from, to }
}

const Task = ({ task }: { task: Expensive }) =>
  task ? (
    <>
      {task.jira_id && <span class="muted">[{task.jira_id}] </span>}
      {task.title ?? task.task_id.slice(0, 8)} — <b>{dollars(task.reward)}</b>
    </>
  ) : (
    <span class="muted">no completed task</span>
  )

export function routes(ctx: Ctx): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', authenticate(authOptions(ctx.config, 'analytics')))
  app.use('*', requireRole('admin'))
  app.get('/api/analytics/today', (c) => c.json(today(ctx)))
  app.get('/api/analytics/days', (c) => {
    const { from, to } = range(ctx, check(DaysQuery, c.req.query(), 'query'))
    return c.json({ from, to, days: days(ctx, from, to) })
  })
  app.get('/api/analytics/most-expensive', (c) => {
    const query = check(MostExpensiveQuery, c.req.query(), 'query')
    return c.json(mostExpensiveIn(ctx, query.period, query.date ?? today(ctx).business_day))
  })
  app.get('/', (c) => {
    const now = today(ctx)
    const { from, to } = range(ctx, {})
    const table = days(ctx, from, to)
    const max = Math.max(1, ...table.map((d) => Math.abs(d.management_earnings)))
    return c.html(
      <Layout title="Analytics" caller={c.get('caller')} current="analytics" urls={ctx.config.publicUrls}>
        <section class="stats">
          <div class="stat">
            Management earnings on {now.business_day} <b class={now.management_earnings < 0 ? 'neg' : 'pos'}>{dollars(now.management_earnings)}</b>
          </div>
          <div class="stat">
            Accounts below zero <b>{now.accounts_negative}</b>
          </div>
        </section>
        <section>
          <h2>Most expensive task</h2>
          <table>
            <tbody>
              {(['day', 'week', 'month'] as const).map((p) => {
                const found = mostExpensiveIn(ctx, p, now.business_day)
                return (
                  <tr>
                    <th>
                      This {p} ({found.from === found.to ? found.from : `${found.from} – ${found.to}`})
                    </th>
                    <td>
                      <Task task={found.task} />
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
        <section>
          <h2>Last days</h2>
          <table>
            <thead>
              <tr>
                <th>Day</th>
                <th class="num">Earnings</th>
                <th style="width:30%" aria-hidden="true" />
                <th class="num">Below zero at close</th>
                <th>Most expensive task</th>
              </tr>
            </thead>
            <tbody>
              {table.toReversed().map((d) => (
                <tr>
                  <td>{d.business_day}</td>
                  <td class={`num ${d.management_earnings < 0 ? 'neg' : ''}`}>{dollars(d.management_earnings)}</td>
                  <td aria-hidden="true">
                    <div style={`height:.8rem;width:${Math.round((Math.abs(d.management_earnings) / max) * 100)}%;background:${d.management_earnings < 0 ? '#f04438' : '#12b76a'}`} />
                  </td>
                  <td class="num">{d.accounts_negative ?? '—'}</td>
                  <td>
                    <Task task={d.most_expensive} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </Layout>,
    )
  })
  return app
}
