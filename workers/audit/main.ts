// Worker audit: continuous reconciliation. It reads TASKS, BILLING and ANALYTICS into its own
// SQLite file, judges every second what changed by the rules of SPEC §5, and shows the
// differences between what happened and what was charged, by the settle rule.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { Hono } from 'hono'
import { AUDIT_API } from '../../contracts/http/audit.ts'
import { runMain, type Clock, type WorkerDefinition } from '../runtime/worker.ts'
import { judgeAll, look, type Watch } from './commands.ts'
import { KIND_NAMES } from './domain.ts'
import { analyticsHandlers, billingHandlers, taskHandlers } from './handlers.ts'
import { apiRoutes } from './http.ts'
import { pageRoutes } from './pages.tsx'
import { cutoffOf } from './queries.ts'
import { type DB, findingCounts, migrations } from './store.ts'

export type AuditOptions = {
  /** How often the audit judges what changed and asks whether it is caught up. */
  lookMs?: number
}

export function definition(clock: Clock = { now: () => new Date(), newId: randomUUID }, options: AuditOptions = {}): WorkerDefinition<DB> {
  const watch: Watch = { caughtUpAt: undefined }
  return {
    name: 'audit',
    migrations,
    clock,
    api: AUDIT_API,
    // The audit only reads and reports: any number of its instances may run at once.
    leased: false,
    // It judges behind the streams by design (ATES_AUDIT_SETTLE_SECONDS): when the processor is
    // busy, billing, tasks and analytics go first.
    niceness: (config) => config.auditNice,
    consumes: (ctx) => {
      const checked = ctx.metrics.counter('ates_audit_checked_events_total', 'Events the audit has taken in and judged').series({})
      const counted = () => checked.inc()
      return [taskHandlers(ctx.store, counted), billingHandlers(ctx.store, counted), analyticsHandlers(ctx.store, counted)]
    },
    start: (ctx) => {
      const differences = ctx.metrics.gauge('ates_audit_differences', 'Differences between what happened and what was charged, by kind (findings older than the settle time)')
      const pending = ctx.metrics.gauge('ates_audit_pending_findings', 'Findings younger than the settle time, which the streams may still resolve')
      const behind = ctx.metrics.gauge('ates_audit_behind_seconds', 'Seconds since every audit consumer had last caught up (-1: not yet)')
      ctx.metrics.collect(() => {
        const counts = findingCounts(ctx.store, cutoffOf(watch.caughtUpAt, ctx.config.auditSettleSeconds))
        for (const kind of KIND_NAMES) differences.set({ kind }, counts.byKind.get(kind) ?? 0)
        pending.set({}, counts.pending)
        behind.set({}, watch.caughtUpAt ? Math.round((ctx.now().getTime() - watch.caughtUpAt.getTime()) / 1000) : -1)
      })
      let looking: Promise<void> | undefined
      const timer = setInterval(() => {
        looking ??= look(ctx.store, watch, ctx.now, ctx.consumerLags)
          .catch((error: unknown) => ctx.log.error('the audit could not judge; it tries again at the next look', { error }))
          .finally(() => {
            looking = undefined
          })
      }, options.lookMs ?? 1000)
      return {
        stop: async () => {
          clearInterval(timer)
          await looking
          // What was taken in is judged before the worker goes: its file holds what the facts say.
          judgeAll(ctx.store)
        },
      }
    },
    routes: (ctx) => new Hono().route('/', apiRoutes(ctx, watch)).route('/', pageRoutes(ctx, watch)),
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runMain(definition())
