// close's page: billing's calendar, the closes and where each stands, and "close the business
// day now" for admins.
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { isRefusal } from '../runtime/refusal.ts'
import { dollars, momentIn } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import { refusalPages } from '../runtime/views/refusal.tsx'
import { Table } from '../runtime/views/table.tsx'
import type { Ctx } from '../runtime/worker.ts'
import { closeNow } from './commands.ts'
import { calendarView, type CloseState, history, requesterName } from './queries.ts'
import type { DB } from './store.ts'

const STATE: Record<CloseState, string> = {
  closed: 'closed',
  refused: 'billing had closed it already',
  waiting: 'waiting for billing',
  asked_again: 'billing has not answered: asked again',
  not_asked: '—',
}

const duration = (seconds: number) =>
  seconds >= 3600 ? `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min` : seconds >= 60 ? `${Math.floor(seconds / 60)} min` : `${seconds} s`

export function pageRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  const tz = ctx.config.tz
  app.use('*', authenticate(authOptions(ctx)))
  app.use('*', refusalPages('close', ctx.config.publicUrls))
  app.use('*', requireRole('admin'))

  app.post('/closes', (c) => {
    const result = closeNow(ctx, c.get('caller').id)
    const notice = isRefusal(result) ? result.message : `Close of ${result.business_day} requested.`
    return c.redirect(`/?notice=${encodeURIComponent(notice)}`, 303)
  })

  app.get('/', (c) => {
    const notice = c.req.query('notice')
    const calendar = calendarView(ctx)
    return c.html(
      <Layout title="Day close" caller={c.get('caller')} current="close" urls={ctx.config.publicUrls}>
        {notice && <p class="notice">{notice}</p>}
        {calendar.overdue_seconds > 0 && (
          <p class="notice error" role="alert">
            {calendar.oldest_unclosed_day} should have closed {duration(calendar.overdue_seconds)} ago and billing has not closed it yet.
          </p>
        )}
        <section>
          <p>
            Business days close on the schedule <code>{ctx.config.closeCron}</code> ({tz}).{' '}
            {calendar.open_day ? (
              <>
                Billing's open day is <b>{calendar.open_day}</b>
                {calendar.oldest_unclosed_day && calendar.oldest_unclosed_day !== calendar.open_day && (
                  <>
                    {' '}
                    (the oldest day not closed yet: <b>{calendar.oldest_unclosed_day}</b>)
                  </>
                )}
                {calendar.closes_at && <>, to close at {momentIn(tz, calendar.closes_at)}</>}.
              </>
            ) : (
              'Billing has not opened a business day yet.'
            )}
          </p>
          <form method="post" action="/closes">
            <button type="submit">Close business day now</button>
          </form>
        </section>
        <section>
          <h2>History</h2>
          <Table head={['Business day', 'Requested', 'State', 'Closed', { label: 'Accounts paid', num: true }, { label: 'Total paid', num: true }, { label: 'Management earnings', num: true }]}>
            {history(ctx).map((d) => (
              <tr>
                <td class="nowrap">{d.business_day}</td>
                <td>
                  {d.requested_at ? (
                    <>
                      <span class="nowrap">{momentIn(tz, d.requested_at)}</span> <span class="muted">by {requesterName(ctx, d.requested_by)}</span>
                      {d.attempts > 1 && <span class="muted"> ({d.attempts} asks)</span>}
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{STATE[d.state]}</td>
                <td class="nowrap">{d.closed_at ? momentIn(tz, d.closed_at) : ''}</td>
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
