// Judging: the subjects whose facts changed are judged by their rules, and what the rules find
// replaces what they found before. The worker judges every second, a chunk at a time, and
// remembers when it was last caught up; `make reconcile` and the fault suite judge everything
// at once (pass.ts).
import type { Store } from '../runtime/store.ts'
import { checkTask, type Scope } from './domain.ts'
import { checkAccountDay, checkDay } from './ledger.ts'
import { accountDayFacts, dayFacts, type DB, dirtySubjects, judged, lastMark, replaceFindings, splitAccountDay, taskFacts } from './store.ts'

/** Loads a subject's facts, applies its rules and keeps what they found. */
export function judge(store: Store<DB>, scope: Scope, subject: string): void {
  switch (scope) {
    case 'task':
      return replaceFindings(store, scope, subject, checkTask(taskFacts(store, subject)))
    case 'account_day': {
      const { account_id, day } = splitAccountDay(subject)
      return replaceFindings(store, scope, subject, checkAccountDay(accountDayFacts(store, account_id, day)))
    }
    case 'day':
      return replaceFindings(store, scope, subject, checkDay(dayFacts(store, subject)))
  }
}

/** Judges up to `limit` subjects marked up to `upTo`, in one transaction; returns how many. */
export function judgeChunk(store: Store<DB>, upTo: number, limit: number): number {
  return store.tx(() => {
    const subjects = dirtySubjects(store, upTo, limit)
    for (const { scope, subject } of subjects) judge(store, scope, subject)
    judged(store, subjects.map((s) => s.mark))
    return subjects.length
  })
}

const CHUNK = 500

/** Judges everything marked so far, at once. */
export function judgeAll(store: Store<DB>): number {
  const upTo = lastMark(store)
  let total = 0
  for (let n = judgeChunk(store, upTo, CHUNK); n > 0; n = judgeChunk(store, upTo, CHUNK)) total += n
  return total
}

/** What the audit worker remembers between looks: the last moment it was caught up. */
export type Watch = { caughtUpAt: Date | undefined }

/**
 * One look: the consumers' lag is asked first, then everything marked until then is judged, a
 * chunk at a time (events keep arriving in between). When nothing was pending at the moment of
 * asking, every event stored before it has been judged: the audit was caught up then.
 */
export async function look(store: Store<DB>, watch: Watch, now: () => Date, lags: () => Promise<Record<string, number>>): Promise<void> {
  const asked = now()
  const pending = await lags().then(
    (found) => Object.values(found).reduce((sum, lag) => sum + lag, 0),
    () => Number.NaN,
  )
  const upTo = lastMark(store)
  while (judgeChunk(store, upTo, CHUNK) > 0) await new Promise((resolve) => setImmediate(resolve))
  if (pending === 0) watch.caughtUpAt = asked
}
