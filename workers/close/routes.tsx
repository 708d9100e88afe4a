// close's API and page: history of closes, and "close the business day now" for admins.
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { HttpError, sameOrigins } from '../runtime/http.ts'
import { dollars, momentIn } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import { refusalPages } from '../runtime/views/refusal.tsx'
import type { Closer, Ctx } from './closer.ts'

const REQUESTED_BY: Record<string, string> = { schedule: 'the schedule', catch_up: 'catch-up' }

export function routes(ctx: Ctx, closer: Closer): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const tz = ctx.config.tz
  app.use('*', sameOrigins(Object.values(ctx.config.publicUrls)))
  app.use('*', authenticate(authOptions(ctx.config, 'close')))
  app.use('*', refusalPages('close', ctx.config.publicUrls))
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
  const requester = (by: string | null) =>
    REQUESTED_BY[by ?? ''] ?? ((ctx.store.prepare('SELECT name FROM accounts WHERE account_id = ?').pluck().get(by) as string | undefined) || 'an admin')
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
                <th>Business day</th>
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
                  <td class="nowrap">{d.business_day}</td>
                  <td>
                    {d.requested_at ? (
                      <>
                        <span class="nowrap">{momentIn(tz, d.requested_at)}</span> <span class="muted">by {requester(d.requested_by)}</span>
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td class="nowrap">{d.closed_at ? momentIn(tz, d.closed_at) : 'waiting for billing'}</td>
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
