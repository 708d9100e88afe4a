// Worker analytics: management earnings, accounts below zero, most expensive tasks — read
// models built only from events, for admins.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { ANALYTICS_API } from '../../contracts/http/analytics.ts'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import { billingHandlers, taskHandlers } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { type DB, migrations } from './store.ts'

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }): WorkerDefinition<DB> {
  return {
    name: 'analytics',
    migrations,
    clock,
    api: ANALYTICS_API,
    // analytics only reads: any number of its instances may be active at once, each with its
    // own durables (ATES_INSTANCE) and database.
    leased: false,
    consumes: (ctx) => [taskHandlers(ctx), billingHandlers(ctx)],
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx)).route('/', pageRoutes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
