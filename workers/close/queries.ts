// What close's API and page read: the next day to close and the history of closes.
import { dayIn } from '../runtime/days.ts'
import type { Ctx } from '../runtime/worker.ts'
import { dayToClose } from './domain.ts'
import { accountName, closeHistory, type DB, firstDay, lastClosedDay } from './store.ts'

export function nextDayToClose(ctx: Ctx<DB>): string {
  return dayToClose(lastClosedDay(ctx.store), firstDay(ctx.store, dayIn(ctx.config.tz, ctx.now())))
}

export function history(ctx: Ctx<DB>) {
  return closeHistory(ctx.store)
}

const REQUESTED_BY: Record<string, string> = { schedule: 'the schedule', catch_up: 'catch-up' }

/** Who asked for a close, as a person reads it. */
export function requesterName(ctx: Ctx<DB>, by: string | null): string {
  return REQUESTED_BY[by ?? ''] ?? ((by && accountName(ctx.store, by)) || 'an admin')
}
