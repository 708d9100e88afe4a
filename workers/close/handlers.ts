// close's event handlers: the accounts it mails, billing's calendar (days opened, days closed,
// refused requests), and payouts to mail.
import type { Envelope } from '../../contracts/envelope.ts'
import type { Handlers } from '../runtime/consumer.ts'
import type { Ctx } from '../runtime/worker.ts'
import { zoneRefusal } from './domain.ts'
import { calendarOf, type DB, insertMail, saveAccount, saveClosed, saveMailed, saveOpened, saveRefused } from './store.ts'

export function accountHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'accounts.created': (e) => saveAccount(ctx.store, e.data, e.event_time),
    'accounts.updated': (e) => saveAccount(ctx.store, e.data, e.event_time),
  }
}

/** One consumer per event: each is rare, and read apart from billing's ledger. */
export function calendarHandlers(ctx: Ctx<DB>): Handlers[] {
  return [
    {
      'billing.day_opened': (e) => {
        saveOpened(ctx.store, e.data.business_day, e.data.time_zone)
        const mismatch = zoneRefusal(calendarOf(ctx.store), ctx.config.tz)
        if (mismatch) ctx.log.error('close asks for no close until the zones agree', { reason: mismatch.message })
      },
    },
    { 'billing.day_closed': (e) => saveClosed(ctx.store, e.data, e.event_time) },
    { 'billing.day_close_refused': (e) => saveRefused(ctx.store, e.data, e.event_time) },
  ]
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

/** Before consuming: the mails the CLOSE stream says were sent (by this instance or another) are not sent again. */
export async function restore(ctx: Ctx<DB>): Promise<void> {
  const read = await ctx.readBack((events) =>
    ctx.store.tx(() => {
      for (const event of events) if (event.event_name === 'close.payout_mailed') saveMailed(ctx.store, (event as Envelope<'close.payout_mailed'>).data)
    }),
  )
  if (read > 0) ctx.log.info('sent mails brought up to date from the CLOSE stream', { events: read })
}
