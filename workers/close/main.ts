// Worker close: the schedule of business-day closes, catch-up after downtime, manual close,
// payout e-mails.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { runMain, type Clock, type WorkerContext, type WorkerDefinition } from '../runtime/worker.ts'
import { accountHandlers } from './accounts.ts'
import { Closer } from './closer.ts'
import { Mailer } from './mailer.ts'
import { routes } from './routes.tsx'
import { type DB, migrations } from './store.ts'

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }): WorkerDefinition<DB> {
  let parts: { closer: Closer; mailer: Mailer } | undefined
  const of = (ctx: WorkerContext<DB>) => (parts ??= { closer: new Closer(ctx), mailer: new Mailer(ctx) })
  return {
    name: 'close',
    migrations,
    clock,
    consumers: (ctx) => {
      return [
        { durable: 'close-accounts', stream: 'ACCOUNTS', filter: 'accounts.>', handlers: accountHandlers(ctx.store) },
        { durable: 'close-days', stream: 'BILLING', filter: 'billing.day_closed.>', handlers: of(ctx).closer.handlers() },
        { durable: 'close-payouts', stream: 'BILLING', filter: 'billing.payout_made.>', handlers: of(ctx).mailer.handlers() },
      ]
    },
    start: (ctx) => {
      const closer = of(ctx).closer.start()
      const mailer = of(ctx).mailer.start()
      return { stop: async () => (closer.stop(), await mailer.stop()) }
    },
    routes: (ctx) => new Hono().route('/', routes(ctx, of(ctx).closer)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
