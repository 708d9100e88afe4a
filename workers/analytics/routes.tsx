// analytics' API and dashboard, for admins only.
import { Hono } from 'hono'
import { DaysQuery, MostExpensiveQuery } from '../../contracts/http/analytics.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { addDays } from '../runtime/days.ts'
import { check, HttpError } from '../runtime/http.ts'
import { refusalPages } from '../runtime/views/refusal.tsx'
import { type Ctx, days, mostExpensiveIn, today } from './model.ts'
import { Dashboard } from './views/dashboard.tsx'


function rangeOf(ctx: Ctx, query: { from?: string | undefined; to?: string | undefined }) {
  const to = query.to ?? today(ctx).business_day
  const from = query.from ?? addDays(to, -13)
  if (from > to) throw new HttpError(422, 'invalid', 'from must not be after to')
  if (addDays(from, 366) <= to) throw new HttpError(422, 'invalid', 'the range may span at most 366 days')
  return { from, to }
}

export function routes(ctx: Ctx): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', authenticate(authOptions(ctx.config, 'analytics')))
  app.use('*', refusalPages('analytics', ctx.config.publicUrls))
  app.use('*', requireRole('admin'))
  app.get('/api/analytics/today', (c) => c.json(today(ctx)))
  app.get('/api/analytics/days', (c) => {
    const { from, to } = rangeOf(ctx, check(DaysQuery, c.req.query(), 'query'))
    return c.json({ from, to, days: days(ctx, from, to) })
  })
  app.get('/api/analytics/most-expensive', (c) => {
    const query = check(MostExpensiveQuery, c.req.query(), 'query')
    return c.json(mostExpensiveIn(ctx, query.period, query.date ?? today(ctx).business_day))
  })
  app.get('/', (c) => {
    const now = today(ctx)
    const range = rangeOf(ctx, check(DaysQuery, c.req.query(), 'days'))
    const expensive = (['day', 'week', 'month'] as const).map((p) => mostExpensiveIn(ctx, p, range.to))
    return c.html(<Dashboard caller={c.get('caller')} urls={ctx.config.publicUrls} now={now} range={range} table={days(ctx, range.from, range.to)} expensive={expensive} />)
  })
  return app
}
