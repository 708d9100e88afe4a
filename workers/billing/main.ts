// Worker billing: the single writer of money. Prices, ledger, balances, business days.
import { randomInt, randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import type { Random } from './domain.ts'
import { accountHandlers, closeHandlers, restore, taskHandlers } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { type DB, migrations } from './store.ts'

const strongRandom: Random = () => randomInt(2 ** 47) / 2 ** 47

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }, random: Random = strongRandom): WorkerDefinition<DB> {
  return {
    name: 'billing',
    migrations,
    clock,
    beforeConsuming: restore,
    consumes: (ctx) => [accountHandlers(ctx), taskHandlers(ctx, random), closeHandlers(ctx, random)],
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx)).route('/', pageRoutes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
