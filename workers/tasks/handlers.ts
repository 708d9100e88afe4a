// The replica of accounts that tasks draws assignees from: accounts.* events carry the full
// snapshot, so each one is an upsert (the newest snapshot wins). And a database brought up to
// date from the TASKS stream.
import type { Envelope } from '../../contracts/envelope.ts'
import type { Handlers } from '../runtime/consumer.ts'
import type { Ctx } from '../runtime/worker.ts'
import { isEligible } from './domain.ts'
import { assignTask, completeTask, type DB, insertTask, saveAccount } from './store.ts'

export function accountHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'accounts.created': (event) => saveAccount(ctx.store, event.data, isEligible(event.data), event.event_time),
    'accounts.updated': (event) => saveAccount(ctx.store, event.data, isEligible(event.data), event.event_time),
  }
}

/**
 * Before consuming: what the TASKS stream holds beyond this database (everything, for an empty
 * one; what another instance did, for one taking over) is brought into it, in stream order:
 * the tasks' state is what tasks said of them.
 */
export async function restore(ctx: Ctx<DB>): Promise<void> {
  const read = await ctx.readBack((events) =>
    ctx.store.tx(() => {
      for (const event of events) {
        if (event.event_name === 'tasks.created') insertTask(ctx.store, (event as Envelope<'tasks.created'>).data)
        else if (event.event_name === 'tasks.assigned') assignTask(ctx.store, (event as Envelope<'tasks.assigned'>).data)
        else if (event.event_name === 'tasks.completed') completeTask(ctx.store, (event as Envelope<'tasks.completed'>).data)
      }
    }),
  )
  if (read > 0) ctx.log.info('tasks brought up to date from the TASKS stream', { events: read })
}
