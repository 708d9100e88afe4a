// Events → read models, and the answers of the API (SPEC A1–A3).
import type { Handlers } from '../runtime/consumer.ts'
import { nextDay } from '../runtime/days.ts'
import { dayIn } from '../runtime/views/format.ts'
import type { WorkerContext } from '../runtime/worker.ts'
import { type Period, periodOf } from './domain.ts'
import type { DB } from './store.ts'

export type Ctx = WorkerContext<DB>

export function handlers(ctx: Ctx): { tasks: Handlers; billing: Handlers } {
  const s = ctx.store
  const task = s.prepare(
    `INSERT INTO tasks (task_id, title, jira_id) VALUES (?, ?, ?)
     ON CONFLICT (task_id) DO UPDATE SET title = excluded.title, jira_id = excluded.jira_id`,
  )
  const price = s.prepare('INSERT INTO tasks (task_id, completion_reward) VALUES (?, ?) ON CONFLICT (task_id) DO UPDATE SET completion_reward = excluded.completion_reward')
  // A sum of movements, not the last balance_after seen: an entry redelivered after a crash
  // arrives behind newer ones, and the inbox already makes each count once.
  const balance = s.prepare('INSERT INTO balances (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance')
  const earn = s.prepare(
    `INSERT INTO earnings (business_day, fees, rewards) VALUES (?, ?, ?)
     ON CONFLICT (business_day) DO UPDATE SET fees = fees + excluded.fees, rewards = rewards + excluded.rewards`,
  )
  const completion = s.prepare('INSERT INTO completions (task_id, business_day, reward, applied_at) VALUES (?, ?, ?, ?)')
  const closed = s.prepare('INSERT OR REPLACE INTO closed_days (business_day, accounts_negative, management_earnings) VALUES (?, ?, ?)')
  return {
    tasks: {
      'tasks.created': (e) => void task.run(e.data.task_id, e.data.title, e.data.jira_id),
    },
    billing: {
      'billing.task_priced': (e) => void price.run(e.data.task_id, e.data.completion_reward),
      'billing.transaction_applied': (e) => {
        const d = e.data
        balance.run(d.account_id, d.credit - d.debit)
        if (d.kind === 'assign_fee') earn.run(d.business_day, d.debit, 0)
        if (d.kind === 'completion_reward') {
          earn.run(d.business_day, 0, d.credit)
          completion.run(d.task_id, d.business_day, d.credit, d.applied_at)
        }
      },
      'billing.day_closed': (e) => void closed.run(e.data.business_day, e.data.accounts_negative, e.data.management_earnings),
    },
  }
}

/** The open business day as the events tell it: the day after the last close, or the newest day seen. */
export function businessDay(ctx: Ctx): string {
  const s = ctx.store
  const lastClosed = s.prepare('SELECT max(business_day) FROM closed_days').pluck().get() as string | null
  const newest = s.prepare('SELECT max(business_day) FROM earnings').pluck().get() as string | null
  const candidates = [lastClosed ? nextDay(lastClosed) : null, newest].filter((d): d is string => d !== null).sort()
  return candidates.at(-1) ?? dayIn(ctx.config.tz, ctx.now())
}

function earningsOf(ctx: Ctx, day: string): number {
  const row = ctx.store.prepare('SELECT fees - rewards FROM earnings WHERE business_day = ?').pluck().get(day) as number | undefined
  return row ?? 0
}

export function today(ctx: Ctx) {
  const day = businessDay(ctx)
  return {
    business_day: day,
    management_earnings: earningsOf(ctx, day),
    accounts_negative: ctx.store.prepare('SELECT count(*) FROM balances WHERE balance < 0').pluck().get() as number,
  }
}

export type Expensive = { task_id: string; title: string | null; jira_id: string | null; reward: number; business_day: string } | null

export const mostExpensiveSql = `SELECT c.task_id, t.title, t.jira_id, c.reward, c.business_day FROM completions c LEFT JOIN tasks t ON t.task_id = c.task_id
  WHERE c.business_day BETWEEN ? AND ? ORDER BY c.reward DESC, c.applied_at, c.task_id LIMIT 1`

/** The completed task with the highest reward in [from, to]; ties go to the earliest completion. */
export function mostExpensive(ctx: Ctx, from: string, to: string): Expensive {
  return (ctx.store.prepare(mostExpensiveSql).get(from, to) as Expensive | undefined) ?? null
}

export function mostExpensiveIn(ctx: Ctx, period: Period, date: string) {
  const range = periodOf(period, date)
  return { period, ...range, task: mostExpensive(ctx, range.from, range.to) }
}

export function days(ctx: Ctx, from: string, to: string) {
  const out = []
  for (let day = from; day <= to; day = nextDay(day)) {
    const closed = ctx.store.prepare('SELECT accounts_negative FROM closed_days WHERE business_day = ?').pluck().get(day) as number | undefined
    out.push({
      business_day: day,
      management_earnings: earningsOf(ctx, day),
      accounts_negative: closed ?? null,
      most_expensive: mostExpensive(ctx, day, day),
    })
  }
  return out
}
