// auth's JSON API (SPEC §4) and the JWKS.
import { Hono } from 'hono'
import { CreateAccountBody, LoginBody, UpdateAccountBody } from '../../contracts/http/auth.ts'
import { limitOf, PageQuery } from '../../contracts/http/paging.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { orInvalidCursor } from '../runtime/cursor.ts'
import { check, clientAddresses, jsonBody, refusalError, type RefusalTable, refusing } from '../runtime/http.ts'
import { isRefusal } from '../runtime/refusal.ts'
import type { Ctx } from '../runtime/worker.ts'
import type { KeyRing } from './adapters/keys.ts'
import { changeAccount, createAccount, type Logins } from './commands.ts'
import type { Refusal } from './domain.ts'
import { accountOf, accountsPage } from './queries.ts'
import type { DB } from './store.ts'

export const REFUSALS: RefusalTable<Refusal> = {
  email_taken: { status: 409, message: 'an account with this email already exists' },
  not_found: { status: 404, message: 'no such account' },
  invalid_credentials: { status: 401, message: 'wrong email or beak, or the account is inactive' },
  throttled: {
    status: 429,
    message: 'too many failed logins from this address or for this account; try again after the delay',
    details: (r) => ({ retry_after_seconds: r.retryAfterSeconds }),
  },
}

export const refusal = (r: Refusal) => refusalError(REFUSALS, r)

export function apiRoutes(ctx: Ctx<DB>, keys: KeyRing, logins: Logins): Hono<AuthEnv> {
  const orRefuse = refusing(REFUSALS)
  const app = new Hono<AuthEnv>()
  app.get('/.well-known/jwks.json', (c) => c.json(keys.jwks, 200, { 'cache-control': 'public, max-age=300' }))

  const clientOf = clientAddresses(ctx.config.trustedProxies)
  app.post('/api/login', async (c) => {
    const body = await jsonBody(c, LoginBody)
    const result = await logins.login(body.email, body.beak, clientOf(c))
    if (isRefusal(result) && result.kind === 'throttled') c.header('retry-after', String(result.retryAfterSeconds))
    return c.json(orRefuse(result))
  })

  const api = new Hono<AuthEnv>()
  api.use('*', authenticate({ ...authOptions(ctx), keys: keys.verifyKeys }))
  api.get('/me', (c) => c.json(orRefuse(accountOf(ctx, c.get('caller').id) ?? { kind: 'not_found' as const })))
  api.use('/accounts', requireRole('admin'))
  api.use('/accounts/*', requireRole('admin'))
  api.get('/accounts', (c) => {
    const query = check(PageQuery, c.req.query(), 'query')
    return c.json(orInvalidCursor(accountsPage(ctx, { limit: limitOf(query), cursor: query.cursor })))
  })
  api.post('/accounts', async (c) => c.json(orRefuse(await createAccount(ctx, await jsonBody(c, CreateAccountBody))), 201))
  api.patch('/accounts/:id', async (c) => c.json(orRefuse(changeAccount(ctx, c.req.param('id'), await jsonBody(c, UpdateAccountBody)))))
  app.route('/api', api)
  return app
}
