// What close's API and page read: billing's calendar as close knows it, and the closes.
import type { Calendar, Close, Closes, CloseState } from '../../contracts/http/close.ts'
import { decodeKeyCursor, pageOf } from '../runtime/cursor.ts'
import type { Ctx } from '../runtime/worker.ts'
import { scheduleOf } from './commands.ts'
import { closingTime, oldestUnclosed, overdueSeconds } from './domain.ts'
import { accountName, calendarOf, closeHistory, closesBefore, type DB, unanswered } from './store.ts'

/** Billing's open day and zone, the oldest day it has not closed, when that closes, and how late it is. */
export function calendarView(ctx: Ctx<DB>): Calendar {
  const calendar = calendarOf(ctx.store)
  const schedule = scheduleOf(ctx)
  const oldest = oldestUnclosed(calendar)
  const closesAt = oldest === undefined ? null : closingTime(schedule, oldest)
  return {
    open_day: calendar.openDay ?? null,
    time_zone: calendar.zone ?? null,
    oldest_unclosed_day: oldest ?? null,
    closes_at: closesAt?.toISOString() ?? null,
    overdue_seconds: overdueSeconds(calendar, schedule, ctx.now()),
    unanswered_requests: unanswered(ctx.store).length,
  }
}

export type { CloseState }

/** A close as the API shows it, with where it stands. */
function closeOf(c: DB['closes']): Close {
  return {
    business_day: c.business_day,
    state: c.closed_at ? 'closed' : c.answered_at ? 'refused' : c.requested_at ? (c.attempts > 1 ? 'asked_again' : 'waiting') : 'not_asked',
    requested_at: c.requested_at,
    requested_by: c.requested_by,
    attempts: c.attempts,
    refused_reason: c.refused_reason,
    closed_at: c.closed_at,
    accounts_paid: c.accounts_paid,
    total_paid: c.total_paid,
    management_earnings: c.management_earnings,
  }
}

/** The closes, newest first, a year at most, for the page. */
export function history(ctx: Ctx<DB>): Close[] {
  return closeHistory(ctx.store).map(closeOf)
}

/** The calendar and the closes, newest first, a page at a time; undefined when the cursor is not one this API gave out. */
export function closesPage(ctx: Ctx<DB>, page: { limit: number; cursor?: string | undefined }): Closes | undefined {
  let before: [string] | undefined
  if (page.cursor !== undefined) {
    before = decodeKeyCursor<[string]>(page.cursor, ['string'])
    if (!before) return undefined
  }
  const { rows, next } = pageOf(closesBefore(ctx.store, page.limit, before?.[0]), page.limit, (row) => [row.business_day])
  return { ...calendarView(ctx), closes: rows.map(closeOf), next_cursor: next }
}

const REQUESTED_BY: Record<string, string> = { schedule: 'the schedule', catch_up: 'catch-up' }

/** Who asked for a close, as a person reads it. */
export function requesterName(ctx: Ctx<DB>, by: string | null): string {
  return REQUESTED_BY[by ?? ''] ?? ((by && accountName(ctx.store, by)) || 'an admin')
}
