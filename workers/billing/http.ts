// billing's JSON API (SPEC §4): accounts, audit log by day, management earnings.
import { type Context, Hono } from 'hono'
import { Uuid } from '../../contracts/common.ts'
import { AccountDayQuery, RangeQuery } from '../../contracts/http/billing.ts'
import { limitOf, PageQuery } from '../../contracts/http/paging.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { orInvalidCursor } from '../runtime/cursor.ts'
import { check, HttpError, RANGE_REFUSALS, refusing } from '../runtime/http.ts'
import { keptJson } from '../runtime/kept.ts'
import type { Ctx } from '../runtime/worker.ts'
import { maySeeAccount } from './domain.ts'
import { accountDay, balancesPage, earnings } from './queries.ts'
import type { DB } from './store.ts'

export const NOT_YOURS = "only admins and accountants see other employees' accounts"

export function apiRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const orRefuse = refusing(RANGE_REFUSALS)
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx)))
  // A day of an account is the same for the same words, whoever may see it.
  const dayOf = (c: Context, accountId: string) =>
    keptJson(c, ctx.store, `account ${accountId}`, () => {
      const query = check(AccountDayQuery, c.req.query(), 'query')
      return orInvalidCursor(accountDay(ctx, accountId, { day: query.day, limit: limitOf(query), cursor: query.cursor }))
    })
  api.get('/accounts/me', (c) => dayOf(c, c.get('caller').id))
  api.get('/accounts/:id', (c) => {
    const id = check(Uuid, c.req.param('id'), 'account id')
    if (!maySeeAccount(c.get('caller'), id)) throw new HttpError(403, 'forbidden', NOT_YOURS)
    return dayOf(c, id)
  })
  api.get('/accounts', requireRole('admin', 'accountant'), (c) => {
    const query = check(PageQuery, c.req.query(), 'query')
    return c.json(orInvalidCursor(balancesPage(ctx, { limit: limitOf(query), cursor: query.cursor })))
  })
  api.get('/management/earnings', requireRole('admin', 'accountant'), (c) => c.json(orRefuse(earnings(ctx, check(RangeQuery, c.req.query(), 'query')))))
  return new Hono<AuthEnv>().route('/api', api)
}
