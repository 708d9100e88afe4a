// The accounting dashboard. A popug sees their balance, what they earned on a day and that
// day's audit log; admins and accountants see every account, and management earnings.
import { Hono } from 'hono'
import { Uuid } from '../../contracts/common.ts'
import { type AccountDay as AccountDayView, DayQuery } from '../../contracts/http/billing.ts'
import { type AuthEnv, authenticate, authOptions, type Caller } from '../runtime/auth.ts'
import { check, HttpError, RANGE_REFUSALS, refusing } from '../runtime/http.ts'
import { dollars, timeIn } from '../runtime/views/format.ts'
import { Layout } from '../runtime/views/layout.tsx'
import { refusalPages } from '../runtime/views/refusal.tsx'
import type { Ctx } from '../runtime/worker.ts'
import { maySeeAccount } from './domain.ts'
import { NOT_YOURS } from './http.ts'
import { accountDay, accounts, type DayStatus, earnings } from './queries.ts'
import type { DB, EntryView } from './store.ts'
import { Table } from '../runtime/views/table.tsx'

const KIND: Record<EntryView['kind'], string> = { assign_fee: 'Assignment fee', completion_reward: 'Completion reward', payout: 'Payout' }
const DAY_STATUS: Record<DayStatus, string> = { open: 'open', closed: 'closed', ended: 'ended, not closed yet', future: 'not yet', before: '—' }
const Money = ({ cents }: { cents: number }) => <span class={cents < 0 ? 'neg' : cents > 0 ? 'pos' : ''}>{dollars(cents)}</span>

export function pageRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const urls = ctx.config.publicUrls
  const tz = ctx.config.tz
  const app = new Hono<AuthEnv>()
  app.use('*', authenticate(authOptions(ctx)))
  app.use('*', refusalPages('billing', urls))

  function DayPicker({ day, account }: { day: string; account?: string }) {
    return (
      <form class="pick" method="get" action="/">
        {account && <input type="hidden" name="account" value={account} />}
        <label class="inline" for="day">
          Day
        </label>
        <input id="day" type="date" name="day" value={day} required />
        <button class="secondary" type="submit">
          Show
        </button>
      </form>
    )
  }

  function AccountDay({ view }: { view: AccountDayView }) {
    return (
      <>
        <section class="stats">
          <div class="stat">
            Balance now <b><Money cents={view.balance} /></b>
          </div>
          <div class="stat">
            Earned on {view.business_day} <b><Money cents={view.earned} /></b>
          </div>
        </section>
        <section>
          <h2>Audit log of {view.business_day}</h2>
          {view.entries.length === 0 ? (
            <p class="muted">Nothing happened on this day.</p>
          ) : (
            <Table head={['Time', 'What', 'Task', { label: 'Debit', num: true }, { label: 'Credit', num: true }, { label: 'Balance after', num: true }]}>
                {view.entries.map((e) => (
                  <tr>
                    <td>{timeIn(tz, e.applied_at)}</td>
                    <td>{KIND[e.kind]}</td>
                    <td>
                      {e.task ? (
                        <>
                          {e.task.jira_id && <span class="muted">[{e.task.jira_id}] </span>}
                          {e.task.title ?? e.task.task_id.slice(0, 8)}
                          {e.task.description && <div class="muted">{e.task.description}</div>}
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td class="num">{e.debit ? dollars(e.debit) : ''}</td>
                    <td class="num">{e.credit ? dollars(e.credit) : ''}</td>
                    <td class="num">
                      <Money cents={e.balance_after} />
                    </td>
                  </tr>
                ))}
              </Table>
          )}
        </section>
      </>
    )
  }

  app.get('/', (c) => {
    const caller: Caller = c.get('caller')
    const query = c.req.query()
    const day = query.day ? check(DayQuery, { day: query.day }, 'day').day : undefined
    const shown = query.account ? check(Uuid, query.account, 'account id') : caller.id
    if (!maySeeAccount(caller, shown)) throw new HttpError(403, 'forbidden', NOT_YOURS)
    const staff = caller.role === 'admin' || caller.role === 'accountant'
    const view = accountDay(ctx, shown, { day })!
    if (!staff) {
      return c.html(
        <Layout title="My account" caller={caller} current="billing" urls={urls}>
          <DayPicker day={view.business_day} />
          <AccountDay view={view} />
        </Layout>,
      )
    }
    const all = accounts(ctx)
    const money = refusing(RANGE_REFUSALS)(earnings(ctx, { to: view.business_day }))
    const today = money.days.at(-1)!
    return c.html(
      <Layout title="Accounting" caller={caller} current="billing" urls={urls}>
        <DayPicker day={view.business_day} {...(shown === caller.id ? {} : { account: shown })} />
        <section class="stats">
          <div class="stat">
            Management earnings on {today.business_day} <b><Money cents={today.management_earnings} /></b>
          </div>
          <div class="stat">
            Open business day <b>{money.open_day}</b>
          </div>
        </section>
        <section>
          <h2>Management earnings, last days</h2>
          <Table head={['Day', { label: 'Earnings', num: true }, 'Status']}>
              {money.days.toReversed().map((d) => (
                <tr>
                  <td>{d.business_day}</td>
                  <td class="num">
                    <Money cents={d.management_earnings} />
                  </td>
                  <td>{DAY_STATUS[d.status]}</td>
                </tr>
              ))}
            </Table>
        </section>
        <section>
          <h2>Accounts ({all.accounts.length})</h2>
          <Table head={['Employee', 'Role', { label: 'Balance', num: true }]}>
              {all.accounts.map((a) => (
                <tr class={a.account_id === shown ? 'current' : undefined}>
                  <td>
                    <a href={`/?account=${a.account_id}&day=${view.business_day}`}>{a.name ?? a.account_id.slice(0, 8)}</a>
                  </td>
                  <td>{a.role ?? '?'}</td>
                  <td class="num">
                    <Money cents={a.balance} />
                  </td>
                </tr>
              ))}
            </Table>
        </section>
        <h2>{shown === caller.id ? 'My account' : `Account of ${view.name ?? shown}`}</h2>
        <AccountDay view={view} />
      </Layout>,
    )
  })
  return app
}
