// Worker close: the schedule of business-day closes, catch-up after downtime, manual close,
// payout e-mails.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Cron } from 'croner'
import { Hono } from 'hono'
import { runMain, type Clock, type Ctx, type WorkerDefinition } from '../runtime/worker.ts'
import { Mailer } from './adapters/mailer.ts'
import { requestClose } from './commands.ts'
import { accountHandlers, closedDayHandlers, payoutHandlers } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { type DB, migrations } from './store.ts'

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }): WorkerDefinition<DB> {
  let mailer: Mailer | undefined
  const mailerOf = (ctx: Ctx<DB>) => (mailer ??= new Mailer(ctx))
  return {
    name: 'close',
    migrations,
    clock,
    consumes: (ctx) => [accountHandlers(ctx), closedDayHandlers(ctx), payoutHandlers(ctx, () => void mailerOf(ctx).sendDue())],
    start: (ctx) => {
      requestClose(ctx, 'catch_up')
      const schedule = new Cron(ctx.config.closeCron, { timezone: ctx.config.tz }, () => {
        requestClose(ctx, 'schedule')
      })
      const mails = mailerOf(ctx).start()
      return { stop: async () => (schedule.stop(), await mails.stop()) }
    },
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx)).route('/', pageRoutes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
