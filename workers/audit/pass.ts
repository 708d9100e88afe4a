// The audit in one pass, without a broker or a running worker: events handed to it are taken
// in by the audit's own handlers (inbox and all) into a SQLite file of its own, then every
// subject is judged by the same rules. `make reconcile` reads the streams into it; the fault
// suite's checker hands it the events it read. The file is removed when the pass is closed.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Envelope } from '../../contracts/envelope.ts'
import { applyBatch } from '../runtime/batch.ts'
import { openStore, type Store } from '../runtime/store.ts'
import { judgeAll } from './commands.ts'
import { type Kind, KIND_NAMES } from './domain.ts'
import { analyticsHandlers, billingHandlers, taskHandlers } from './handlers.ts'
import { type Difference, type Differences, differences } from './queries.ts'
import { type DB, migrations, totals } from './store.ts'

export type PassReport = ReturnType<typeof totals> & {
  /** Events taken in (each event id once). */
  events: number
  /** Every difference by the settle rule, oldest first. */
  differences: Difference[]
  counts: Record<Kind, number>
  total: number
  pending: number
}

export class AuditPass {
  readonly store: Store<DB>
  private readonly dir: string | undefined
  private taken = 0
  private readonly handlers

  /** `inMemory` for small sets of events (tests); a temporary file otherwise. */
  constructor(options: { inMemory?: boolean } = {}) {
    this.dir = options.inMemory ? undefined : mkdtempSync(join(tmpdir(), 'ates-reconcile-'))
    this.store = openStore<DB>(this.dir ? join(this.dir, 'audit.sqlite') : ':memory:', migrations)
    const counted = () => void (this.taken += 1)
    this.handlers = { ...taskHandlers(this.store, counted), ...billingHandlers(this.store, counted), ...analyticsHandlers(this.store, counted) }
  }

  /** Takes in a batch of events, in one transaction; one already taken in is skipped by its id. */
  take(events: readonly Envelope[]): void {
    const outcomes = applyBatch(this.store, events.map((event) => ({ decoded: { ok: true, event, version: event.event_version }, deliveries: 1 })), this.handlers, { consumer: 'reconcile', maxDeliver: 1 })
    const failed = outcomes.findIndex((o) => o.kind === 'dead' || o.kind === 'failed')
    if (failed >= 0) throw new Error(`the audit could not take in ${events[failed]!.event_name} ${events[failed]!.event_id}: ${JSON.stringify(outcomes[failed])}`)
  }

  /**
   * Judges everything taken in. `readAt` is when the streams were read up to their end (the
   * pass was caught up then); findings younger than `settleSeconds` before it are pending.
   */
  judge(readAt: Date, settleSeconds: number): PassReport {
    judgeAll(this.store)
    const found: Differences = differences(this.store, { caughtUpAt: readAt }, settleSeconds, { limit: Number.MAX_SAFE_INTEGER })
    return { ...totals(this.store), events: this.taken, differences: found.differences, counts: found.counts, total: found.total, pending: found.pending }
  }

  close(): void {
    this.store.close()
    if (this.dir) rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A few differences of each kind that has any, for a report. */
export function examples(report: PassReport, perKind = 3): Array<{ kind: Kind; count: number; examples: Difference[] }> {
  return KIND_NAMES.filter((kind) => report.counts[kind] > 0).map((kind) => ({ kind, count: report.counts[kind], examples: report.differences.filter((d) => d.kind === kind).slice(0, perKind) }))
}
