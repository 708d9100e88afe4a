// billing's JSON API (SPEC §4): accounts, audit log by day, management earnings.
import { Hono } from 'hono'
import { Uuid } from '../../contracts/common.ts'
import { DayQuery, RangeQuery } from '../../contracts/http/billing.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check, HttpError, RANGE_REFUSALS, refusing } from '../runtime/http.ts'
import type { Ctx } from '../runtime/worker.ts'
import { maySeeAccount } from './domain.ts'
import { accountDay, accounts, earnings } from './queries.ts'
import type { DB } from './store.ts'

export const NOT_YOURS = "only admins and accountants see other employees' accounts"

export function apiRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const orRefuse = refusing(RANGE_REFUSALS)
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx)))
  api.get('/accounts/me', (c) => c.json(accountDay(ctx, c.get('caller').id, check(DayQuery, c.req.query(), 'query').day)))
  api.get('/accounts/:id', (c) => {
    const id = check(Uuid, c.req.param('id'), 'account id')
    if (!maySeeAccount(c.get('caller'), id)) throw new HttpError(403, 'forbidden', NOT_YOURS)
    return c.json(accountDay(ctx, id, check(DayQuery, c.req.query(), 'query').day))
  })
  api.get('/accounts', requireRole('admin', 'accountant'), (c) => c.json(accounts(ctx)))
  api.get('/management/earnings', requireRole('admin', 'accountant'), (c) => c.json(orRefuse(earnings(ctx, check(RangeQuery, c.req.query(), 'query')))))
  return new Hono<AuthEnv>().route('/api', api)
}
