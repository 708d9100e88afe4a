// What billing's API and pages show: an account's day, the accounts, earnings by day.
// Each answer is read in one transaction: outside one, SQLite takes and drops its WAL read lock
// (system calls on the -shm file) around every statement.
import type { AccountBalances, AccountDay, DayStatus, Earnings } from '../../contracts/http/billing.ts'
import { managementEarnings } from '../../contracts/money.ts'
import { decodeKeyCursor, encodeKeyCursor, pageOf } from '../runtime/cursor.ts'
import { dayRange, daysOf, type RangeRefusal } from '../runtime/days.ts'
import type { Ctx } from '../runtime/worker.ts'
import { earned } from './domain.ts'
import { accountName, accountsWithBalances, amountsByDay, balanceOf, balancesAfter, calendarOf, closedDaysBetween, currentDay, dayAmountsOf, type DB, entriesOf } from './store.ts'

export type DayAsked = {
  /** Default: the open business day. */
  day?: string | undefined
  /** Entries per page; without one, the whole day. */
  limit?: number | undefined
  cursor?: string | undefined
}

/** An account's balance and a day of it: what it earned, and its entries a page at a time; undefined when the cursor is not one this API gave out. */
export function accountDay(ctx: Ctx<DB>, accountId: string, asked: DayAsked = {}): AccountDay | undefined {
  let afterSeq = 0
  if (asked.cursor !== undefined) {
    const key = decodeKeyCursor<[number]>(asked.cursor, ['number'])
    if (!key) return undefined
    afterSeq = key[0]
  }
  return ctx.store.tx(() => {
    const businessDay = asked.day ?? currentDay(ctx.store)!
    const limit = asked.limit ?? -1
    const read = entriesOf(ctx.store, accountId, businessDay, afterSeq, limit === -1 ? -1 : limit + 1)
    const more = limit !== -1 && read.entries.length > limit
    return {
      account_id: accountId,
      name: accountName(ctx.store, accountId) ?? null,
      balance: balanceOf(ctx.store, accountId),
      business_day: businessDay,
      earned: earned(dayAmountsOf(ctx.store, accountId, businessDay)),
      entries: more ? read.entries.slice(0, limit) : read.entries,
      next_cursor: more ? encodeKeyCursor([read.seqs[limit - 1]!]) : null,
    }
  })
}

/** Every account with its balance, for the dashboard. */
export function accounts(ctx: Ctx<DB>) {
  return ctx.store.tx(() => ({ business_day: currentDay(ctx.store)!, accounts: accountsWithBalances(ctx.store) }))
}

/** Accounts with their balances by name, a page at a time; undefined when the cursor is not one this API gave out. */
export function balancesPage(ctx: Ctx<DB>, page: { limit: number; cursor?: string | undefined }): AccountBalances | undefined {
  let after: [string, string] | undefined
  if (page.cursor !== undefined) {
    after = decodeKeyCursor<[string, string]>(page.cursor, ['string', 'string'])
    if (!after) return undefined
  }
  return ctx.store.tx(() => {
    const { rows, next } = pageOf(balancesAfter(ctx.store, page.limit, after), page.limit, (row) => [row.name ?? '', row.account_id])
    return { business_day: currentDay(ctx.store)!, accounts: rows, next_cursor: next }
  })
}

export type { DayStatus }

/** Per day in [from, to] (default: the last 7 days up to the open day): fees − rewards. */
export function earnings(ctx: Ctx<DB>, asked: { from?: string | undefined; to?: string | undefined } = {}): Earnings | RangeRefusal {
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
