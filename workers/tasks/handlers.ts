// The replica of accounts that tasks draws assignees from: accounts.* events carry the full
// snapshot, so each one is an upsert (the newest snapshot wins).
import type { Handlers } from '../runtime/consumer.ts'
import type { Ctx } from '../runtime/worker.ts'
import { isEligible } from './domain.ts'
import { type DB, saveAccount } from './store.ts'

export function accountHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'accounts.created': (event) => saveAccount(ctx.store, event.data, isEligible(event.data), event.event_time),
    'accounts.updated': (event) => saveAccount(ctx.store, event.data, isEligible(event.data), event.event_time),
  }
}
