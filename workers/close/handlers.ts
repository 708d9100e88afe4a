// close's event handlers: the accounts it mails, closed days (then the next ended day is
// asked for, if any: catch-up, one day per request), and payouts to mail.
import type { Handlers } from '../runtime/consumer.ts'
import type { Ctx } from '../runtime/worker.ts'
import { requestClose } from './commands.ts'
import { type DB, insertMail, saveAccount, saveClosed } from './store.ts'

export function accountHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'accounts.created': (e) => saveAccount(ctx.store, e.data, e.event_time),
    'accounts.updated': (e) => saveAccount(ctx.store, e.data, e.event_time),
  }
}

export function closedDayHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'billing.day_closed': (e) => {
      saveClosed(ctx.store, e.data, e.event_time)
      // Asked once this batch is committed, in a transaction of its own.
      queueMicrotask(() => {
        try {
          requestClose(ctx, 'catch_up')
        } catch (error) {
          ctx.log.error('close check failed', { error })
        }
      })
    },
  }
}

/** `mailDue` is told after each payout, to send its mail soon. */
export function payoutHandlers(ctx: Ctx<DB>, mailDue: () => void): Handlers {
  return {
    'billing.payout_made': (e) => {
      insertMail(ctx.store, e.data, e.event_time)
      setImmediate(mailDue)
    },
  }
}
