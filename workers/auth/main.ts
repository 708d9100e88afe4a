// Worker auth: accounts, beak login, JWT/JWKS, role administration, accounts.* events.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import { type KeyRing, loadKeyRing } from './adapters/keys.ts'
import { bootstrapAdmin, Logins } from './commands.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { accountAccess } from './queries.ts'
import { type DB, migrations } from './store.ts'

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }): WorkerDefinition<DB> {
  let keys: KeyRing | undefined
  let logins: Logins | undefined
  return {
    name: 'auth',
    migrations,
    clock,
    access: accountAccess,
    start: async (ctx) => {
      keys = await loadKeyRing(ctx.store, ctx.newId, ctx.now)
      logins = new Logins(ctx, keys, ctx.config)
      const admin = await bootstrapAdmin(ctx)
      if (admin.created) ctx.log.info('first admin created', { email: admin.created.email })
      if (admin.replacedDefaultBeak) ctx.log.warn("the admin's default beak was replaced by ATES_ADMIN_BEAK", { email: ctx.config.adminEmail })
    },
    routes: (ctx) => {
      const app = new Hono()
      // start() runs before the server listens, so the key ring is there for every request.
      app.route('/', apiRoutes(ctx, keys!, logins!))
      app.route('/', pageRoutes(ctx, keys!, logins!))
      return app
    },
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
