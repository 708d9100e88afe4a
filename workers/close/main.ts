// Worker close: the schedule of business-day closes, catch-up after downtime, manual close,
// asking again what billing has not answered, payout e-mails.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Cron } from 'croner'
import { Hono } from 'hono'
import { CLOSE_API } from '../../contracts/http/close.ts'
import { RefusedToStart, runMain, type Clock, type Ctx, type WorkerDefinition } from '../runtime/worker.ts'
import { Mailer } from './adapters/mailer.ts'
import { askAgain, closeDue, scheduleOf } from './commands.ts'
import { zoneRefusal } from './domain.ts'
import { accountHandlers, calendarHandlers, payoutHandlers, restore } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { calendarView } from './queries.ts'
import { type DB, migrations } from './store.ts'

export type CloseOptions = {
  /** How often close looks for ended days to close and unanswered asks (catch-up). */
  tickMs?: number
}

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }, options: CloseOptions = {}): WorkerDefinition<DB> {
  let mailer: Mailer | undefined
  const mailerOf = (ctx: Ctx<DB>) => (mailer ??= new Mailer(ctx))
  return {
    name: 'close',
    migrations,
    clock,
    api: CLOSE_API,
    beforeConsuming: async (ctx) => {
      // Billing states its zone with every day it opens: a close in another zone would ask for the wrong days.
      const opened = await ctx.lastEvent('billing.day_opened')
      const mismatch = opened && zoneRefusal({ zone: opened.data.time_zone, openDay: undefined, firstDay: undefined, lastClosed: undefined }, ctx.config.tz)
      if (mismatch) throw new RefusedToStart(mismatch.message)
      await restore(ctx)
    },
    consumes: (ctx) => [accountHandlers(ctx), ...calendarHandlers(ctx), payoutHandlers(ctx, () => void mailerOf(ctx).sendDue())],
    start: (ctx) => {
      const overdue = ctx.metrics.gauge('ates_close_overdue_seconds', 'How long after its scheduled close the oldest day billing has not closed is (0: none is late)')
      const waiting = ctx.metrics.gauge('ates_close_unanswered_requests', 'Close requests billing has not answered yet')
      ctx.metrics.collect(() => {
        const calendar = calendarView(ctx)
        overdue.set({}, calendar.overdue_seconds)
        waiting.set({}, calendar.unanswered_requests)
      })
      const guarded = (what: string, fn: () => unknown) => () => {
        try {
          fn()
        } catch (error) {
          ctx.log.error(`${what} failed; tried again at the next tick`, { error })
        }
      }
      const tick = guarded('close catch-up', () => {
        closeDue(ctx, ctx.now(), 'catch_up')
        askAgain(ctx)
      })
      tick()
      const timer = setInterval(tick, options.tickMs ?? 1000)
      const schedule = scheduleOf(ctx)
      const firing = new Cron(schedule.pattern, { timezone: schedule.timeZone }, guarded('scheduled close', () => closeDue(ctx, ctx.now(), 'schedule')))
      const mails = mailerOf(ctx).start()
      return {
        stop: async () => {
          clearInterval(timer)
          firing.stop()
          await mails.stop()
        },
      }
    },
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx)).route('/', pageRoutes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
