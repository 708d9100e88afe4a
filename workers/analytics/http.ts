// analytics' JSON API, for admins only.
import { Hono } from 'hono'
import { DaysQuery, MostExpensiveQuery } from '../../contracts/http/analytics.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { dayRange, type DayRange } from '../runtime/days.ts'
import { check, RANGE_REFUSALS, refusing } from '../runtime/http.ts'
import type { Ctx } from '../runtime/worker.ts'
import { businessDay, days, mostExpensiveIn, today } from './queries.ts'
import type { DB } from './store.ts'

/** The days a report covers: by default the last 14 up to the open business day. */
export function rangeOf(ctx: Ctx<DB>, asked: { from?: string | undefined; to?: string | undefined }): DayRange {
  return refusing(RANGE_REFUSALS)(dayRange(asked, businessDay(ctx), 14))
}

export function apiRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx)))
  api.use('*', requireRole('admin'))
  api.get('/analytics/today', (c) => c.json(today(ctx)))
  api.get('/analytics/days', (c) => {
    const range = rangeOf(ctx, check(DaysQuery, c.req.query(), 'query'))
    return c.json({ ...range, days: days(ctx, range) })
  })
  api.get('/analytics/most-expensive', (c) => {
    const query = check(MostExpensiveQuery, c.req.query(), 'query')
    return c.json(mostExpensiveIn(ctx, query.period, query.date ?? businessDay(ctx)))
  })
  return new Hono<AuthEnv>().route('/api', api)
}
