// Worker billing: the single writer of money. Prices, ledger, balances, business days.
import { randomInt, randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import { apiRoutes } from './http.ts'
import { Ledger, type Random } from './ledger.ts'
import { pageRoutes } from './pages.tsx'
import { prepare } from './restore.ts'
import { type DB, migrations } from './store.ts'

const strongRandom: Random = () => randomInt(2 ** 47) / 2 ** 47

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }, random: Random = strongRandom): WorkerDefinition<DB> {
  let ledger: Ledger | undefined
  const ledgerOf = (ctx: Parameters<NonNullable<WorkerDefinition<DB>['prepare']>>[0]) => (ledger ??= new Ledger(ctx, random))
  return {
    name: 'billing',
    migrations,
    clock,
    prepare: (ctx) => prepare(ctx, ledgerOf(ctx)),
    consumers: (ctx) => {
      const handlers = ledgerOf(ctx).handlers()
      return [
        { durable: 'billing-accounts', stream: 'ACCOUNTS', filter: 'accounts.>', handlers: handlers.accounts },
        { durable: 'billing-tasks', stream: 'TASKS', filter: 'tasks.>', handlers: handlers.tasks },
        { durable: 'billing-closes', stream: 'BILLING', filter: 'billing.day_close_requested.>', handlers: handlers.closes },
      ]
    },
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx)).route('/', pageRoutes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
