// billing's JSON API (SPEC §4): accounts, audit log by day, management earnings.
import { Hono } from 'hono'
import { DayQuery, RangeQuery } from '../../contracts/http/billing.ts'
import { Uuid } from '../../contracts/common.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check, HttpError } from '../runtime/http.ts'
import type { Ctx } from './ledger.ts'
import { accountDay, accounts, earnings } from './views.ts'

export function apiRoutes(ctx: Ctx): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx.config, 'billing')))
  api.get('/accounts/me', (c) => c.json(accountDay(ctx, c.get('caller').id, check(DayQuery, c.req.query(), 'query').day)))
  api.get('/accounts/:id', (c) => {
    const caller = c.get('caller')
    const id = check(Uuid, c.req.param('id'), 'account id')
    if (id !== caller.id && caller.role !== 'admin' && caller.role !== 'accountant') {
      throw new HttpError(403, 'forbidden', "only admins and accountants see other employees' accounts")
    }
    return c.json(accountDay(ctx, id, check(DayQuery, c.req.query(), 'query').day))
  })
  api.get('/accounts', requireRole('admin', 'accountant'), (c) => c.json(accounts(ctx)))
  api.get('/management/earnings', requireRole('admin', 'accountant'), (c) => {
    const query = check(RangeQuery, c.req.query(), 'query')
    return c.json(earnings(ctx, query.from, query.to))
  })
  return new Hono<AuthEnv>().route('/api', api)
}
