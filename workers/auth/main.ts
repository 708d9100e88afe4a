// Worker auth: accounts, beak login, JWT/JWKS, role administration, accounts.* events.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { AUTH_API } from '../../contracts/http/auth.ts'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import { type KeyRing, loadKeyRing } from './adapters/keys.ts'
import { bootstrapAdmin, Logins } from './commands.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { restore } from './handlers.ts'
import { accountAccess } from './queries.ts'
import { type DB, insertSigningKey, migrations } from './store.ts'

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }): WorkerDefinition<DB> {
  // The key ring and the logins exist once this instance is active (start()); until then the
  // runtime answers every route with 503, so the routes reach them only through these.
  let ring: KeyRing | undefined
  let current: Logins | undefined
  const keys: KeyRing = {
    get jwks() {
      return ring!.jwks
    },
    verifyKeys: (header, token) => ring!.verifyKeys(header, token),
    sign: (account, claims) => ring!.sign(account, claims),
  }
  const logins = { login: (email: string, beak: string, address: string) => current!.login(email, beak, address) } as Logins
  return {
    name: 'auth',
    migrations,
    clock,
    api: AUTH_API,
    beforeConsuming: restore,
    access: accountAccess,
    start: async (ctx) => {
      ring = await loadKeyRing(ctx.store, ctx.newId, ctx.now, (key) =>
        ctx.store.tx(() => {
          insertSigningKey(ctx.store, key)
          ctx.outbox.emit('auth.signing_key_added', key)
        }),
      )
      current = new Logins(ctx, ring, ctx.config)
      const admin = await bootstrapAdmin(ctx)
      if (admin.created) ctx.log.info('first admin created', { email: admin.created.email })
      if (admin.replacedDefaultBeak) ctx.log.warn("the admin's default beak was replaced by ATES_ADMIN_BEAK", { email: ctx.config.adminEmail })
    },
    routes: (ctx) => {
      const app = new Hono()
      app.route('/', apiRoutes(ctx, keys, logins))
      app.route('/', pageRoutes(ctx, keys, logins))
      return app
    },
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
