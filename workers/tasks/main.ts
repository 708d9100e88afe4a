// Worker tasks: create with random assignment, reassign all, complete (tasks.* events).
import { randomInt } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { TASKS_API } from '../../contracts/http/tasks.ts'
import { timeOrderedId } from '../runtime/ids.ts'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import type { Random } from './domain.ts'
import { accountHandlers, restore } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { type DB, migrations } from './store.ts'

/** A uniform number in [0, 1) from the OS's strong source. */
const strongRandom: Random = () => randomInt(2 ** 47) / 2 ** 47

// Task and event ids sort by their time, so every index keyed by them (here, in billing and in
// analytics) grows at one end; see timeOrderedId.
export function definition(clock: Clock = { now: () => new Date(), newId: () => timeOrderedId() }, random: Random = strongRandom): WorkerDefinition<DB> {
  return {
    name: 'tasks',
    migrations,
    clock,
    api: TASKS_API,
    beforeConsuming: restore,
    consumes: (ctx) => [accountHandlers(ctx)],
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx, random)).route('/', pageRoutes(ctx, random)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
