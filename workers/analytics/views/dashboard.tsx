// The analytics dashboard: today's management earnings and accounts below zero, the most
// expensive task of a day, week and month, and a chosen range of days as a chart and a table.
import type { Caller } from '../../runtime/auth.ts'
import { dollars } from '../../runtime/views/format.ts'
import { Layout, type LayoutProps } from '../../runtime/views/layout.tsx'
import type { days, mostExpensiveIn, today } from '../queries.ts'
import type { Expensive } from '../store.ts'
import { EarningsChart } from './chart.tsx'
import { Table } from '../../runtime/views/table.tsx'

const Task = ({ task }: { task: Expensive }) =>
  task ? (
    <>
      {task.jira_id && <span class="muted">[{task.jira_id}] </span>}
      {task.title ?? task.task_id.slice(0, 8)} — <b>{dollars(task.reward)}</b>
    </>
  ) : (
    <span class="muted">no completed task</span>
  )

const Money = ({ cents }: { cents: number }) => <span class={cents < 0 ? 'neg' : cents > 0 ? 'pos' : ''}>{dollars(cents)}</span>

const PERIOD = { day: 'Day', week: 'Week', month: 'Month' } as const

export type DashboardProps = {
  caller: Caller
  urls: LayoutProps['urls']
  now: ReturnType<typeof today>
  range: { from: string; to: string }
  table: ReturnType<typeof days>
  expensive: Array<ReturnType<typeof mostExpensiveIn>>
}

export function Dashboard({ caller, urls, now, range, table, expensive }: DashboardProps) {
  return (
    <Layout title="Analytics" caller={caller} current="analytics" urls={urls}>
      <section class="stats">
        <div class="stat">
          Management earnings today ({now.business_day}){' '}
          <b>
            <Money cents={now.management_earnings} />
          </b>
        </div>
        <div class="stat">
          Employees below zero <b class={now.accounts_negative > 0 ? 'neg' : ''}>{now.accounts_negative}</b>
        </div>
      </section>
      <form class="pick" method="get" action="/">
        <label class="inline" for="from">
          From
        </label>
        <input id="from" type="date" name="from" value={range.from} required />
        <label class="inline" for="to">
          to
        </label>
        <input id="to" type="date" name="to" value={range.to} required />
        <button class="secondary" type="submit">
          Show
        </button>
      </form>
      <section>
        <h2>Most expensive task</h2>
        <table>
          <tbody>
            {expensive.map((found) => (
              <tr>
                <td class="nowrap">
                  {PERIOD[found.period]} <span class="muted">{found.from === found.to ? found.from : `${found.from} – ${found.to}`}</span>
                </td>
                <td>
                  <Task task={found.task} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>
          Management earnings, {range.from} – {range.to}
        </h2>
        <EarningsChart days={table} />
        <Table head={['Day', { label: 'Earnings', num: true }, { label: 'Below zero at close', num: true }, 'Most expensive task']}>
            {table.toReversed().map((d) => (
              <tr>
                <td class="nowrap">{d.business_day}</td>
                <td class="num">
                  <Money cents={d.management_earnings} />
                </td>
                <td class="num">{d.accounts_negative ?? '—'}</td>
                <td>
                  <Task task={d.most_expensive} />
                </td>
              </tr>
            ))}
          </Table>
      </section>
    </Layout>
  )
}
