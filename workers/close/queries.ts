// What close's API and page read: billing's calendar as close knows it, and the closes.
import type { Ctx } from '../runtime/worker.ts'
import { scheduleOf } from './commands.ts'
import { closingTime, oldestUnclosed, overdueSeconds } from './domain.ts'
import { accountName, calendarOf, closeHistory, type DB, unanswered } from './store.ts'

/** Billing's open day and zone, the oldest day it has not closed, when that closes, and how late it is. */
export function calendarView(ctx: Ctx<DB>) {
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

export type CloseState = 'closed' | 'refused' | 'waiting' | 'asked_again' | 'not_asked'

/** The closes, newest first, a year at most, each with where it stands. */
export function history(ctx: Ctx<DB>) {
  return closeHistory(ctx.store).map((c) => ({
    business_day: c.business_day,
    state: (c.closed_at ? 'closed' : c.answered_at ? 'refused' : c.requested_at ? (c.attempts > 1 ? 'asked_again' : 'waiting') : 'not_asked') as CloseState,
    requested_at: c.requested_at,
    requested_by: c.requested_by,
    attempts: c.attempts,
    refused_reason: c.refused_reason,
    closed_at: c.closed_at,
    accounts_paid: c.accounts_paid,
    total_paid: c.total_paid,
    management_earnings: c.management_earnings,
  }))
}

const REQUESTED_BY: Record<string, string> = { schedule: 'the schedule', catch_up: 'catch-up' }

/** Who asked for a close, as a person reads it. */
export function requesterName(ctx: Ctx<DB>, by: string | null): string {
  return REQUESTED_BY[by ?? ''] ?? ((by && accountName(ctx.store, by)) || 'an admin')
}
