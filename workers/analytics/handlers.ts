// Events → analytics' read models (SPEC A1–A3): task titles from tasks.*, prices, ledger
// entries and closed days from billing.*.
import type { Handlers } from '../runtime/consumer.ts'
import type { Ctx } from '../runtime/worker.ts'
import { entryEffect } from './domain.ts'
import { addEntry, type DB, saveClosedDay, saveOpenedDay, savePrice, saveTitle } from './store.ts'

export function taskHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'tasks.created': (e) => saveTitle(ctx.store, e.data),
  }
}

export function billingHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'billing.task_priced': (e) => savePrice(ctx.store, e.data),
    'billing.transaction_applied': (e) => addEntry(ctx.store, e.data.transaction_id, entryEffect(e.data)),
    'billing.day_closed': (e) => saveClosedDay(ctx.store, e.data),
    'billing.day_opened': (e) => saveOpenedDay(ctx.store, e.data.business_day),
  }
}
