// close's API and page: history of closes, and "close the business day now" for admins.
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { HttpError, sameOrigins } from '../runtime/http.ts'
import { dollars, timeIn } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import type { Closer, Ctx } from './closer.ts'

export function routes(ctx: Ctx, closer: Closer): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const tz = ctx.config.tz
  app.use('*', sameOrigins(Object.values(ctx.config.publicUrls)))
  app.use('*', authenticate(authOptions(ctx.config, 'close')))
  app.use('*', requireRole('admin'))

  const closeNow = (by: string) => {
    const day = closer.check('manual', by)
    if (!day) throw new HttpError(409, 'conflict', 'the current business day is already closed')
    return day
  }
  app.get('/api/closes', (c) => c.json({ next_day: closer.nextDay(), closes: closer.history() }))
  app.post('/api/closes', (c) => c.json({ business_day: closeNow(c.get('caller').id) }, 202))

  app.post('/closes', (c) => {
    try {
      return c.redirect(`/?notice=${encodeURIComponent(`Close of ${closeNow(c.get('caller').id)} requested.`)}`, 303)
    } catch (error) {
      if (error instanceof HttpError) return c.redirect(`/?notice=${encodeURIComponent(error.message)}`, 303)
      throw error
    }
  })
  app.get('/', (c) => {
    const notice = c.req.query('notice')
    return c.html(
      <Layout title="Day close" caller={c.get('caller')} current="close" urls={ctx.config.publicUrls}>
        {notice && <p class="notice">{notice}</p>}
        <section>
          <p>
            Business days close on the schedule <code>{ctx.config.closeCron}</code> ({tz}). The next day to close is{' '}
            <b>{closer.nextDay()}</b>.
          </p>
          <form method="post" action="/closes">
            <button type="submit">Close business day now</button>
          </form>
        </section>
        <section>
          <h2>History</h2>
          <table>
            <thead>
              <tr>
                <th>Day</th>
                <th>Requested</th>
                <th>Closed</th>
                <th class="num">Accounts paid</th>
                <th class="num">Total paid</th>
                <th class="num">Management earnings</th>
              </tr>
            </thead>
            <tbody>
              {closer.history().map((d) => (
                <tr>
                  <td>{d.business_day}</td>
                  <td>{d.requested_at ? `${timeIn(tz, d.requested_at)} (${d.requested_by === 'schedule' || d.requested_by === 'catch_up' ? d.requested_by : 'admin'})` : '—'}</td>
                  <td>{d.closed_at ? timeIn(tz, d.closed_at) : 'waiting for billing'}</td>
                  <td class="num">{d.accounts_paid ?? ''}</td>
                  <td class="num">{d.total_paid === null ? '' : dollars(d.total_paid)}</td>
                  <td class="num">{d.management_earnings === null ? '' : dollars(d.management_earnings)}</td>
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
