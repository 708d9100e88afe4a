// analytics' dashboard, for admins only.
import { Hono } from 'hono'
import { DaysQuery } from '../../contracts/http/analytics.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check } from '../runtime/http.ts'
import { refusalPages } from '../runtime/views/refusal.tsx'
import type { Ctx } from '../runtime/worker.ts'
import { rangeOf } from './http.ts'
import { days, mostExpensiveIn, today } from './queries.ts'
import type { DB } from './store.ts'
import { Dashboard } from './views/dashboard.tsx'

export function pageRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', authenticate(authOptions(ctx)))
  app.use('*', refusalPages('analytics', ctx.config.publicUrls))
  app.use('*', requireRole('admin'))
  app.get('/', (c) => {
    const now = today(ctx)
    const range = rangeOf(ctx, check(DaysQuery, c.req.query(), 'days'))
    const expensive = (['day', 'week', 'month'] as const).map((p) => mostExpensiveIn(ctx, p, range.to))
    return c.html(<Dashboard caller={c.get('caller')} urls={ctx.config.publicUrls} now={now} range={range} table={days(ctx, range)} expensive={expensive} />)
  })
  return app
}
