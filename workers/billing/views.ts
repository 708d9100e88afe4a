// What billing's API and pages show: an account's day, the accounts, earnings by day.
import { addDays } from '../runtime/days.ts'
import { HttpError } from '../runtime/http.ts'
import { earned } from './domain.ts'
import type { Ctx } from './ledger.ts'
import { accountsWithBalances, balanceOf, earningsByDay, entriesOf, openDay } from './store.ts'

export const MAX_RANGE_DAYS = 366


// Each answer is read in one transaction: outside one, SQLite takes and drops its WAL read lock
// (system calls on the -shm file) around every statement. Under `make bench`'s load an
// account's day took 60-70 µs that way and 40 µs in one transaction.

export function accountDay(ctx: Ctx, accountId: string, day?: string) {
  return ctx.store.tx(() => readAccountDay(ctx, accountId, day))
}

function readAccountDay(ctx: Ctx, accountId: string, day?: string) {
  const known = ctx.store.prepare('SELECT name FROM accounts WHERE account_id = ?').get(accountId) as { name: string | null } | undefined
  const businessDay = day ?? openDay(ctx.store)!
  const entries = entriesOf(ctx.store, accountId, businessDay)
  return {
    account_id: accountId,
    name: known?.name ?? null,
    balance: balanceOf(ctx.store, accountId),
    business_day: businessDay,
    earned: earned(entries),
    entries,
  }
}

export function accounts(ctx: Ctx) {
  return ctx.store.tx(() => ({ business_day: openDay(ctx.store)!, accounts: accountsWithBalances(ctx.store) }))
}

/** Per day in [from, to] (default: the last 7 days up to the open day): fees − rewards. */
export function earnings(ctx: Ctx, from?: string, to?: string) {
  return ctx.store.tx(() => readEarnings(ctx, from, to))
}

function readEarnings(ctx: Ctx, from?: string, to?: string) {
  const open = openDay(ctx.store)!
  const last = to ?? open
  const first = from ?? addDays(last, -6)
  if (first > last) throw new HttpError(422, 'invalid', 'from must not be after to')
  if (addDays(first, MAX_RANGE_DAYS) <= last) throw new HttpError(422, 'invalid', `the range may span at most ${MAX_RANGE_DAYS} days`)
  const byDay = earningsByDay(ctx.store, first, last)
  const closed = new Set(ctx.store.prepare("SELECT business_day FROM days WHERE status = 'closed' AND business_day BETWEEN ? AND ?").pluck().all(first, last) as string[])
  const days = []
  for (let day = first; day <= last; day = addDays(day, 1)) {
    days.push({ business_day: day, management_earnings: byDay.get(day) ?? 0, status: closed.has(day) ? 'closed' : day === open ? 'open' : day > open ? 'future' : 'before' })
  }
  return { open_day: open, days }
}
