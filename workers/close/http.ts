// close's JSON API, for admins: billing's calendar and the closes, and "close the business day now".
import { Hono } from 'hono'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { limitOf, PageQuery } from '../../contracts/http/paging.ts'
import { orInvalidCursor } from '../runtime/cursor.ts'
import { check, type RefusalTable, refusing } from '../runtime/http.ts'
import type { Ctx } from '../runtime/worker.ts'
import { closeNow, type Refusal } from './commands.ts'
import { closesPage } from './queries.ts'
import type { DB } from './store.ts'

export const REFUSALS: RefusalTable<Refusal> = {
  next_day_open: { status: 409, details: (r) => ({ open_day: r.open_day, closes_at: r.closes_at }) },
  zone_mismatch: { status: 409 },
}

export function apiRoutes(ctx: Ctx<DB>): Hono<AuthEnv> {
  const orRefuse = refusing(REFUSALS)
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx)))
  api.use('*', requireRole('admin'))
  api.get('/closes', (c) => {
    const query = check(PageQuery, c.req.query(), 'query')
    return c.json(orInvalidCursor(closesPage(ctx, { limit: limitOf(query), cursor: query.cursor })))
  })
  api.post('/closes', (c) => c.json(orRefuse(closeNow(ctx, c.get('caller').id)), 202))
  return new Hono<AuthEnv>().route('/api', api)
}
