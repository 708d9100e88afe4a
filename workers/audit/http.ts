// The audit's JSON API, for admins and accountants: the differences between what happened and
// what was charged, by the settle rule.
import { Hono } from 'hono'
import { DifferencesQuery } from '../../contracts/http/audit.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check } from '../runtime/http.ts'
import type { Ctx } from '../runtime/worker.ts'
import type { Watch } from './commands.ts'
import { differences } from './queries.ts'
import type { DB } from './store.ts'

export function apiRoutes(ctx: Ctx<DB>, watch: Watch): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>()
  api.use('*', authenticate(authOptions(ctx)))
  api.use('*', requireRole('admin', 'accountant'))
  api.get('/differences', (c) => {
    const query = check(DifferencesQuery, c.req.query(), 'query')
    return c.json(differences(ctx.store, watch, ctx.config.auditSettleSeconds, { kind: query.kind, limit: query.limit === undefined ? undefined : Number(query.limit) }))
  })
  return new Hono<AuthEnv>().route('/api', api)
}
