// The audit's page, for admins and accountants: whether the money adds up, and each difference
// with the task, account or day it concerns and the events involved.
import { Hono } from 'hono'
import { DifferencesQuery } from '../../contracts/http/audit.ts'
import { type AuthEnv, authenticate, authOptions, requireRole } from '../runtime/auth.ts'
import { check } from '../runtime/http.ts'
import { refusalPages } from '../runtime/views/refusal.tsx'
import type { Ctx } from '../runtime/worker.ts'
import type { Watch } from './commands.ts'
import { differences } from './queries.ts'
import type { DB } from './store.ts'
import { AuditPage } from './views/differences.tsx'

export function pageRoutes(ctx: Ctx<DB>, watch: Watch): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>()
  app.use('*', authenticate(authOptions(ctx)))
  app.use('*', refusalPages('audit', ctx.config.publicUrls))
  app.use('*', requireRole('admin', 'accountant'))
  app.get('/', (c) => {
    const query = check(DifferencesQuery, c.req.query(), 'query')
    const found = differences(ctx.store, watch, ctx.config.auditSettleSeconds, { kind: query.kind, limit: 200 })
    return c.html(<AuditPage caller={c.get('caller')} urls={ctx.config.publicUrls} tz={ctx.config.tz} found={found} kind={query.kind} now={ctx.now()} />)
  })
  return app
}
