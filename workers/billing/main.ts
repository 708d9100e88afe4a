// Worker billing: the single writer of money. Prices, ledger, balances, business days.
import { randomInt, randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Cron } from 'croner'
import { Hono } from 'hono'
import { BILLING_API } from '../../contracts/http/billing.ts'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import type { Random } from './domain.ts'
import { accountHandlers, closeHandlers, handle, newAnswers, prepare, restore, taskHandlers } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { type DB, migrations } from './store.ts'

const strongRandom: Random = () => randomInt(2 ** 47) / 2 ** 47

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }, random: Random = strongRandom): WorkerDefinition<DB> {
  // The close requests read back and their answers, across a standby's rounds and its taking over.
  const answers = newAnswers()
  return {
    name: 'billing',
    migrations,
    clock,
    api: BILLING_API,
    beforeConsuming: (ctx) => prepare(ctx, random, answers),
    // A standby brings in the active one's decisions every round, and applies the events they answer.
    follow: async (ctx, readBack) => void (await restore(ctx, answers, readBack)),
    consumes: (ctx) => [accountHandlers(ctx), taskHandlers(ctx, random), closeHandlers(ctx, random)],
    start: (ctx) => {
      // The calendar reaches a new day at midnight in billing's zone: it opens then, not only
      // with the first entry after it.
      const midnight = new Cron('0 0 * * *', { timezone: ctx.config.tz }, () => {
        try {
          ctx.store.tx(() => handle(ctx, random, { kind: 'roll' }))
        } catch (error) {
          ctx.log.error('the business day could not open at midnight; it opens with the next entry', { error })
        }
      })
      return { stop: () => midnight.stop() }
    },
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx)).route('/', pageRoutes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
