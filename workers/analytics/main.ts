// Worker analytics: management earnings, accounts below zero, most expensive tasks — read
// models built only from events, for admins.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import { handlers } from './model.ts'
import { routes } from './routes.tsx'
import { type DB, migrations } from './store.ts'

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }): WorkerDefinition<DB> {
  return {
    name: 'analytics',
    migrations,
    clock,
    consumers: (ctx) => {
      const h = handlers(ctx)
      return [
        { durable: 'analytics-tasks', stream: 'TASKS', filter: 'tasks.>', handlers: h.tasks },
        { durable: 'analytics-billing', stream: 'BILLING', filter: 'billing.>', handlers: h.billing },
      ]
    },
    routes: (ctx) => new Hono().route('/', routes(ctx)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
