// Events → the audit's facts: tasks.* (what happened), billing.* (what was charged and paid)
// and analytics.* (what analytics shows). Each fact is kept as read, with its event's id and
// time, and marks the subjects it may change; the rules judge them later (commands.ts).
import { derivedIds } from '../../contracts/derived-ids.ts'
import type { Handlers } from '../runtime/consumer.ts'
import type { Store } from '../runtime/store.ts'
import { type DB, saveCause, saveClose, saveCreated, saveEntry, saveFigures, savePayoutMade, savePrice } from './store.ts'

/** Times as one format (ISO in UTC, with milliseconds), so that they compare as strings. */
const instant = (iso: string) => new Date(iso).toISOString()

/** `counted` is told of every event the audit takes in. */
export function taskHandlers(store: Store<DB>, counted: () => void = () => undefined): Handlers {
  return {
    'tasks.created': (e) => {
      counted()
      saveCreated(store, { event_id: e.event_id, task_id: e.data.task_id, at: instant(e.event_time) })
    },
    'tasks.assigned': (e) => {
      counted()
      saveCause(store, { event_id: e.event_id, kind: 'assigned', task_id: e.data.task_id, account_id: e.data.assignee_id, charge_id: derivedIds.fee(e.event_id), at: instant(e.event_time) })
    },
    'tasks.completed': (e) => {
      counted()
      saveCause(store, { event_id: e.event_id, kind: 'completed', task_id: e.data.task_id, account_id: e.data.assignee_id, charge_id: derivedIds.reward(e.event_id), at: instant(e.event_time) })
    },
  }
}

export function billingHandlers(store: Store<DB>, counted: () => void = () => undefined): Handlers {
  return {
    'billing.task_priced': (e) => {
      counted()
      savePrice(store, { event_id: e.event_id, ...e.data, at: instant(e.event_time) })
    },
    'billing.transaction_applied': (e) => {
      counted()
      saveEntry(store, { event_id: e.event_id, ...e.data, applied_at: instant(e.data.applied_at), at: instant(e.event_time) })
    },
    'billing.payout_made': (e) => {
      counted()
      savePayoutMade(store, { event_id: e.event_id, ...e.data, at: instant(e.event_time) })
    },
    'billing.day_closed': (e) => {
      counted()
      saveClose(store, { event_id: e.event_id, ...e.data, at: instant(e.event_time) })
    },
  }
}

export function analyticsHandlers(store: Store<DB>, counted: () => void = () => undefined): Handlers {
  return {
    'analytics.day_figures': (e) => {
      counted()
      saveFigures(store, { event_id: e.event_id, ...e.data, at: instant(e.event_time) })
    },
  }
}
