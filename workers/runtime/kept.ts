// The JSON answers of a worker's hottest reads, kept until its database next changes. A page of
// tasks or an account's day is read from SQLite, made into objects and serialized at every
// request: about two thirds of the processor such a request cost (a page of 30 tasks, measured
// on `make up`), the same bytes each time while nothing was written.
//
// Nothing kept outlives a change: every answer is dropped as soon as the connection's count of
// changed rows moves (total_changes(): every row inserted, updated or deleted, counted as each
// statement runs, so a change later rolled back drops them too). Only the worker's own process
// writes its database (what else it remembers — the eligible accounts, the callers' standings —
// assumes so too); PRAGMA data_version would also see another connection's commits, but takes
// the WAL's read lock at every request: 15 µs of a 90 µs request under load. An answer read
// inside a transaction, which may still be rolled back, is not kept. The health probe's write
// (each /readyz, each scrape of /metrics) drops them too: one read again per probe.
import type { Context } from 'hono'
import type { Statement } from 'better-sqlite3'
import { onePer } from './lru.ts'
import type { Metrics } from './metrics.ts'
import type { Store } from './store.ts'

/** What the answers are kept against: a store's connection (whatever its tables). */
type Database = Pick<Store<unknown>, 'sqlite'>

/** At most this many bytes of answers per database: pages of up to 200 tasks, a few hundred of them. */
export const KEPT_BYTES = 4 * 1024 * 1024

export class KeptAnswers {
  private readonly answers = new Map<string, string>()
  private bytes = 0
  private changes = -1
  private readonly mark: Statement

  constructor(
    private readonly store: Database,
    readonly maxBytes = KEPT_BYTES,
  ) {
    this.mark = store.sqlite.prepare('SELECT total_changes()').pluck()
  }

  /** The answer kept under key if nothing changed since it was read; else read() (kept for the next ask). */
  answer(key: string, read: () => string): string {
    const changes = this.mark.get() as number
    if (changes !== this.changes) {
      this.answers.clear()
      this.bytes = 0
      this.changes = changes
    }
    const kept = this.answers.get(key)
    if (kept !== undefined) {
      answered.kept++
      return kept
    }
    answered.read++
    const text = read()
    if (this.store.sqlite.inTransaction || text.length > this.maxBytes) return text
    // The oldest answers go first when the bytes would pass the bound (a string's length counts
    // its UTF-16 units: near enough for a bound).
    for (const [oldKey, old] of this.answers) {
      if (this.bytes + text.length <= this.maxBytes) break
      this.answers.delete(oldKey)
      this.bytes -= old.length
    }
    this.answers.set(key, text)
    this.bytes += text.length
    return text
  }

  /** How many answers are kept now (for tests). */
  get size(): number {
    return this.answers.size
  }
}

/** How this process's kept reads were answered since it started: kept, or read. */
const answered = { kept: 0, read: 0 }

/** ates_http_kept_answers_total: the answers of the kept reads, kept or read. */
export function countKeptAnswers(metrics: Metrics): void {
  const counter = metrics.counter('ates_http_kept_answers_total', "Answers of the kept reads (a page of tasks, an account's day): kept since the database last changed, or read")
  metrics.collect(() => {
    counter.set({ outcome: 'kept' }, answered.kept)
    counter.set({ outcome: 'read' }, answered.read)
  })
}

/** The kept answers of a store (a worker that takes over opens its database again: a new store). */
export const keptAnswers = onePer((store: Database) => new KeptAnswers(store))

/**
 * Answers a read with the JSON kept under `what` and the query string as sent (no parsing), or
 * with read()'s answer serialized, kept for the next ask. read() checks the query: a refusal it
 * throws is never kept.
 */
export function keptJson(c: Context, store: Database, what: string, read: () => unknown): Response {
  const url = c.req.url
  const at = url.indexOf('?')
  const text = keptAnswers(store).answer(`${what} ${at === -1 ? '' : url.slice(at)}`, () => JSON.stringify(read()))
  // The headers c.json gives, without serializing again.
  return c.body(text, 200, { 'content-type': 'application/json' })
}
