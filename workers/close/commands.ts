// close's commands: ask billing to close a business day, through the outbox. The schedule and
// the catch-up after downtime ask through closeDue, an admin through closeNow, and an ask
// billing has not answered is asked again (askAgain) with a new id derived from the day and
// the attempt: two close instances asking the same attempt cannot close twice, and billing
// closes a day once whoever asks.
import { derivedIds } from '../../contracts/derived-ids.ts'
import type { Ctx } from '../runtime/worker.ts'
import { askAgainAt, decideManual, decideScheduled, lastFiring, oldestUnclosed, type Refusal, type Schedule, zoneRefusal } from './domain.ts'
import { calendarOf, type DB, requestOf, saveRequest, unanswered } from './store.ts'

export type { Refusal }

export const scheduleOf = (ctx: Ctx<DB>): Schedule => ({ pattern: ctx.config.closeCron, timeZone: ctx.config.tz })

/** Writes an ask for `day` (attempt n) and its event, in the caller's transaction. */
function ask(ctx: Ctx<DB>, day: string, by: string, attempts: number): void {
  const now = ctx.now()
  const eventId = derivedIds.closeRequested(day, attempts)
  saveRequest(ctx.store, { business_day: day, at: now.toISOString(), by, attempts, request_event_id: eventId, next_attempt_at: askAgainAt(now, attempts).toISOString() })
  ctx.outbox.emit('billing.day_close_requested', { business_day: day }, { eventId, time: now })
  ctx.log.info('day close requested', { business_day: day, by, attempt: attempts })
}

/**
 * The schedule at `at` (a firing, or the last firing before now when catching up): asks billing
 * to close the day that ended before it if billing still has it open and nobody asked yet.
 */
export function closeDue(ctx: Ctx<DB>, at: Date, by: 'schedule' | 'catch_up'): string | undefined {
  return ctx.store.tx(() => {
    const calendar = calendarOf(ctx.store)
    if (zoneRefusal(calendar, ctx.config.tz)) return undefined
    const oldest = oldestUnclosed(calendar)
    const firing = by === 'schedule' ? at : oldest && lastFiring(scheduleOf(ctx), at, oldest)
    if (!firing) return undefined
    const decision = decideScheduled(calendar, firing, ctx.config.tz)
    if (decision.request === undefined || requestOf(ctx.store, decision.request)?.requested_at) return undefined
    ask(ctx, decision.request, by, 1)
    return decision.request
  })
}

/** An admin closes the current business day now; an ask already waiting for billing is answered with its day. */
export function closeNow(ctx: Ctx<DB>, by: string): { business_day: string } | Refusal {
  return ctx.store.tx(() => {
    const calendar = calendarOf(ctx.store)
    const mismatch = zoneRefusal(calendar, ctx.config.tz)
    if (mismatch) return mismatch
    const decision = decideManual(calendar, ctx.now(), scheduleOf(ctx))
    if ('kind' in decision) return decision
    const day = decision.request
    const known = requestOf(ctx.store, day)
    const waiting = known?.requested_at && !known.answered_at && !known.closed_at
    if (!waiting) ask(ctx, day, by, (known?.attempts ?? 0) + 1)
    return { business_day: day }
  })
}

/** Asks again what billing has not answered in time. */
export function askAgain(ctx: Ctx<DB>): number {
  return ctx.store.tx(() => {
    const due = unanswered(ctx.store, ctx.now().toISOString())
    for (const request of due) {
      ctx.log.warn('billing has not answered a close request: asking again', { business_day: request.business_day, attempts: request.attempts })
      ask(ctx, request.business_day, request.requested_by ?? 'schedule', request.attempts + 1)
    }
    return due.length
  })
}
