// What the audit's API, page and metrics read: the findings that are differences by the settle
// rule, how many more are pending, and when the audit was last caught up.
import type { Store } from '../runtime/store.ts'
import { type EventRef, type Kind, KIND_NAMES, type Scope } from './domain.ts'
import { type DB, findingCounts, findingsUpTo, splitAccountDay } from './store.ts'

export type Difference = {
  kind: Kind
  task_id: string | null
  account_id: string | null
  business_day: string | null
  /** For an account's entries: the calendar day (UTC) billing applied them on. */
  day: string | null
  message: string
  events: EventRef[]
  since: string
}

/** The moment before which a finding is a difference: `settleSeconds` before the audit was last caught up. */
export function cutoffOf(caughtUpAt: Date | undefined, settleSeconds: number): string {
  return caughtUpAt ? new Date(caughtUpAt.getTime() - settleSeconds * 1000).toISOString() : ''
}

function subjectOf(scope: Scope, subject: string): Pick<Difference, 'task_id' | 'account_id' | 'business_day' | 'day'> {
  if (scope === 'task') return { task_id: subject, account_id: null, business_day: null, day: null }
  if (scope === 'day') return { task_id: null, account_id: null, business_day: subject, day: null }
  const { account_id, day } = splitAccountDay(subject)
  return { task_id: null, account_id, business_day: null, day }
}

export type Differences = {
  settle_seconds: number
  /** The last moment every audit consumer had handled everything its stream held; null before the first. */
  caught_up_at: string | null
  counts: Record<Kind, number>
  total: number
  /** Findings younger than the settle time: what the streams may still resolve. */
  pending: number
  differences: Difference[]
}

export function differences(store: Store<DB>, watch: { caughtUpAt: Date | undefined }, settleSeconds: number, options: { kind?: Kind; limit?: number } = {}): Differences {
  const cutoff = cutoffOf(watch.caughtUpAt, settleSeconds)
  const { byKind, pending } = findingCounts(store, cutoff)
  const counts = Object.fromEntries(KIND_NAMES.map((kind) => [kind, byKind.get(kind) ?? 0])) as Record<Kind, number>
  const listed = findingsUpTo(store, cutoff, options.kind, options.limit ?? 500)
  return {
    settle_seconds: settleSeconds,
    caught_up_at: watch.caughtUpAt?.toISOString() ?? null,
    counts,
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    pending,
    differences: listed.map((f) => ({ kind: f.kind, ...subjectOf(f.scope, f.subject), message: f.message, events: JSON.parse(f.events) as EventRef[], since: f.since })),
  }
}
