// close's command: ask billing to close a business day, through the outbox, with an id
// derived from the day, so that two instances or a retry cannot close twice. The schedule,
// the catch-up after a close and an admin all ask through it.
import { dayIn } from '../runtime/days.ts'
import { derivedIds } from '../../contracts/derived-ids.ts'
import type { Ctx } from '../runtime/worker.ts'
import { decideRequest, type Reason } from './domain.ts'
import { type DB, firstDay, isRequested, lastClosedDay, saveRequest } from './store.ts'

/** Requests the next day when it is due; returns the day requested (now or before), if any. */
export function requestClose(ctx: Ctx<DB>, reason: Reason, by: string = reason): string | undefined {
  return ctx.store.tx(() => {
    const today = dayIn(ctx.config.tz, ctx.now())
    const state = { lastClosed: lastClosedDay(ctx.store), firstDay: firstDay(ctx.store, today), requested: (day: string) => isRequested(ctx.store, day) }
    const decision = decideRequest(state, today, reason)
    if (decision.request === 'none') return undefined
    if (decision.request === 'already') return decision.day
    saveRequest(ctx.store, decision.day, ctx.now().toISOString(), by)
    ctx.outbox.emit('billing.day_close_requested', { business_day: decision.day }, { eventId: derivedIds.closeRequested(decision.day) })
    ctx.log.info('day close requested', { business_day: decision.day, reason })
    return decision.day
  })
}

export type Refusal = { kind: 'already_closed' }

/** An admin closes the current business day now (or has it asked for already). */
export function closeNow(ctx: Ctx<DB>, by: string): { business_day: string } | Refusal {
  const day = requestClose(ctx, 'manual', by)
  return day ? { business_day: day } : { kind: 'already_closed' }
}
