// close's page: the history of closes, and "close the business day now" for admins.
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { sameOrigins } from '../runtime/http.ts'
import { isRefusal } from '../runtime/refusal.ts'
import { dollars, momentIn } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import { refusalPages } from '../runtime/views/refusal.tsx'
import type { Ctx } from '../runtime/worker.ts'
import { closeNow } from './commands.ts'
import { REFUSALS } from './http.ts'
import { history, nextDayToClose, requesterName } from './queries.ts'
import type { DB } from './store.ts'
import { Table } from '../runtime/views/table.tsx'

export function pageRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const tz = ctx.config.tz
  app.use('*', sameOrigins(Object.values(ctx.config.publicUrls)))
  app.use('*', authenticate(authOptions(ctx.config, 'close')))
  app.use('*', refusalPages('close', ctx.config.publicUrls))
  app.use('*', requireRole('admin'))

  app.post('/closes', (c) => {
    const result = closeNow(ctx, c.get('caller').id)
    const notice = isRefusal(result) ? REFUSALS[result.kind].message! : `Close of ${result.business_day} requested.`
    return c.redirect(`/?notice=${encodeURIComponent(notice)}`, 303)
  })
  app.get('/', (c) => {
    const notice = c.req.query('notice')
    return c.html(
      <Layout title="Day close" caller={c.get('caller')} current="close" urls={ctx.config.publicUrls}>
        {notice && <p class="notice">{notice}</p>}
        <section>
          <p>
            Business days close on the schedule <code>{ctx.config.closeCron}</code> ({tz}). The next day to close is{' '}
            <b>{nextDayToClose(ctx)}</b>.
          </p>
          <form method="post" action="/closes">
            <button type="submit">Close business day now</button>
          </form>
        </section>
        <section>
          <h2>History</h2>
          <Table head={['Business day', 'Requested', 'Closed', { label: 'Accounts paid', num: true }, { label: 'Total paid', num: true }, { label: 'Management earnings', num: true }]}>
              {history(ctx).map((d) => (
                <tr>
                  <td class="nowrap">{d.business_day}</td>
                  <td>
                    {d.requested_at ? (
                      <>
                        <span class="nowrap">{momentIn(tz, d.requested_at)}</span> <span class="muted">by {requesterName(ctx, d.requested_by)}</span>
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
            </Table>
        </section>
      </Layout>,
    )
  })
  return app
}
