// What billing's API and pages show: an account's day, the accounts, earnings by day.
// Each answer is read in one transaction: outside one, SQLite takes and drops its WAL read lock
// (system calls on the -shm file) around every statement.
import { managementEarnings } from '../../contracts/money.ts'
import { dayRange, daysOf, type RangeRefusal } from '../runtime/days.ts'
import type { Ctx } from '../runtime/worker.ts'
import { earned } from './domain.ts'
import { accountName, accountsWithBalances, amountsByDay, balanceOf, calendarOf, closedDaysBetween, currentDay, type DB, entriesOf } from './store.ts'

export function accountDay(ctx: Ctx<DB>, accountId: string, day?: string) {
  return ctx.store.tx(() => {
    const businessDay = day ?? currentDay(ctx.store)!
    const entries = entriesOf(ctx.store, accountId, businessDay)
    return {
      account_id: accountId,
      name: accountName(ctx.store, accountId) ?? null,
      balance: balanceOf(ctx.store, accountId),
      business_day: businessDay,
      earned: earned(entries),
      entries,
    }
  })
}

export function accounts(ctx: Ctx<DB>) {
  return ctx.store.tx(() => ({ business_day: currentDay(ctx.store)!, accounts: accountsWithBalances(ctx.store) }))
}

/** A day as billing's calendar has it: closed, ended but not closed yet, the open one, later, or before billing's first day. */
export type DayStatus = 'closed' | 'ended' | 'open' | 'future' | 'before'

/** Per day in [from, to] (default: the last 7 days up to the open day): fees − rewards. */
export function earnings(ctx: Ctx<DB>, asked: { from?: string | undefined; to?: string | undefined } = {}) {
  return ctx.store.tx(() => {
    const open = currentDay(ctx.store)!
    const first = calendarOf(ctx.store).firstDay!
    const range = dayRange(asked, open, 7)
    if ('kind' in range) return range as RangeRefusal
    const byDay = amountsByDay(ctx.store, range.from, range.to)
    const closed = closedDaysBetween(ctx.store, range.from, range.to)
    const status = (day: string): DayStatus => (closed.has(day) ? 'closed' : day === open ? 'open' : day > open ? 'future' : day < first ? 'before' : 'ended')
    const days = daysOf(range).map((day) => ({ business_day: day, management_earnings: managementEarnings(byDay.get(day) ?? { fees: 0, rewards: 0 }), status: status(day) }))
    return { open_day: open, days }
  })
}
