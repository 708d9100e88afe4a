// auth's JSON API (SPEC §4) and the JWKS.
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { CreateAccountBody, LoginBody, UpdateAccountBody } from '../../contracts/http/auth.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { HttpError, jsonBody } from '../runtime/http.ts'
import type { KeyRing } from './keys.ts'
import { changeAccount, type Ctx, createAccount, isRefusal, type Logins, type Refusal } from './service.ts'
import { findById, listAccounts, toAccount } from './store.ts'

const REFUSALS: Record<Refusal['kind'], { status: ContentfulStatusCode; message: string }> = {
  email_taken: { status: 409, message: 'an account with this email already exists' },
  not_found: { status: 404, message: 'no such account' },
  invalid_credentials: { status: 401, message: 'wrong email or beak, or the account is inactive' },
  throttled: { status: 429, message: 'too many failed logins for this email; try again later' },
}

export function refusal(r: Refusal): HttpError {
  const { status, message } = REFUSALS[r.kind]
  return new HttpError(status, r.kind, message, r.kind === 'throttled' ? { retry_after_seconds: r.retryAfterSeconds } : undefined)
}

export function apiRoutes(ctx: Ctx, keys: KeyRing, logins: Logins): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.get('/.well-known/jwks.json', (c) => c.json(keys.jwks, 200, { 'cache-control': 'public, max-age=300' }))

  app.post('/api/login', async (c) => {
    const body = await jsonBody(c, LoginBody)
    const result = await logins.login(body.email, body.beak)
    if (isRefusal(result)) {
      if (result.kind === 'throttled') c.header('retry-after', String(result.retryAfterSeconds))
      throw refusal(result)
    }
    return c.json(result)
  })

  const api = new Hono<AuthEnv>()
  api.use('*', authenticate({ ...authOptions(ctx.config, 'auth'), keys: keys.verifyKeys }))
  api.get('/me', (c) => {
    const row = findById(ctx.store, c.get('caller').id)
    if (!row) throw refusal({ kind: 'not_found' })
    return c.json(toAccount(row))
  })
  api.use('/accounts', requireRole('admin'))
  api.use('/accounts/*', requireRole('admin'))
  api.get('/accounts', (c) => c.json({ accounts: listAccounts(ctx.store) }))
  api.post('/accounts', async (c) => {
    const result = await createAccount(ctx, await jsonBody(c, CreateAccountBody))
    if (isRefusal(result)) throw refusal(result)
    return c.json(result, 201)
  })
  api.patch('/accounts/:id', async (c) => {
    const result = changeAccount(ctx, c.req.param('id'), await jsonBody(c, UpdateAccountBody))
    if (isRefusal(result)) throw refusal(result)
    return c.json(result)
  })
  app.route('/api', api)
  return app
}
