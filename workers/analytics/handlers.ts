// Events → analytics' read models (SPEC A1–A3): task titles from tasks.*, prices, ledger
// entries and closed days from billing.*. At each close, and for each entry of a closed day
// that arrives after it, analytics publishes its figures of the day (analytics.day_figures),
// so that anyone reading the streams (the audit) can hold them against the ledger.
// Every handler but the close's is idempotent by itself (an upsert; an entry counted once by its
// transaction id), so only billing.day_closed, which publishes, is recorded in the inbox.
import { derivedIds } from '../../contracts/derived-ids.ts'
import { ALREADY_APPLIED, idempotent } from '../runtime/batch.ts'
import type { Handlers } from '../runtime/consumer.ts'
import type { Ctx } from '../runtime/worker.ts'
import { dayFigures, entryEffect, figuresTime, movesEarnings } from './domain.ts'
import { addEntry, amountsOn, type DB, negativeAtClose, saveClosedDay, saveOpenedDay, savePrice, saveTitle } from './store.ts'

export function taskHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'tasks.created': idempotent((e) => saveTitle(ctx.store, e.data)),
  }
}

export function billingHandlers(ctx: Ctx<DB>): Handlers {
  let published: Date | undefined
  /** Publishes a closed day's figures as they stand now, later than the previous ones; the id follows from the event that changed them. */
  const publishFigures = (causeEventId: string, day: string, negative: number) => {
    published = figuresTime(ctx.now(), published)
    ctx.outbox.emit('analytics.day_figures', dayFigures(day, amountsOn(ctx.store, day), negative), { eventId: derivedIds.dayFigures(causeEventId), time: published })
  }
  return {
    'billing.task_priced': idempotent((e) => savePrice(ctx.store, e.data)),
    'billing.transaction_applied': idempotent((e) => {
      const effect = entryEffect(e.data)
      if (!addEntry(ctx.store, e.data.transaction_id, effect)) return ALREADY_APPLIED
      if (!movesEarnings(effect)) return
      const negative = negativeAtClose(ctx.store, effect.business_day)
      if (negative !== undefined) publishFigures(e.event_id, effect.business_day, negative)
    }),
    'billing.day_closed': (e) => {
      saveClosedDay(ctx.store, e.data)
      publishFigures(e.event_id, e.data.business_day, e.data.accounts_negative)
    },
    'billing.day_opened': idempotent((e) => saveOpenedDay(ctx.store, e.data.business_day)),
  }
}
