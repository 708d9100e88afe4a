// A worker's own SQLite file. Queries are typed with kysely (one Database interface
// a worker) and run synchronously on better-sqlite3: a whole batch of events is one
// transaction, and a nested transaction is a savepoint.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import {
  type Compilable,
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely'
import { AUTOCHECKPOINT_PAGES, type CheckpointListener, checkpointOffThread } from './checkpoints.ts'

export type Migration<DB> = {
  name: string
  up: string | ((store: Store<DB>) => void)
}

export type RunResult = { changes: number; lastInsertRowid: number | bigint }

type Grouped = { fn: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }

const STATEMENT_CACHE_LIMIT = 1000

/** Tables every worker has: the transactional outbox and the inbox of handled events. */
export const runtimeMigrations: Array<Migration<unknown>> = [
  {
    name: 'runtime_001_outbox_inbox',
    up: `
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        payload TEXT NOT NULL
      );
      CREATE TABLE inbox (
        event_id TEXT PRIMARY KEY,
        consumer TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    // When each event was handled, so the inbox can be pruned by age (every handler is also
    // idempotent by the ids of what it records; see README "How an event flows").
    name: 'runtime_002_inbox_handled_at',
    up: `
      ALTER TABLE inbox ADD COLUMN handled_at INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX inbox_handled_at ON inbox (handled_at);
      CREATE TABLE _health (key TEXT PRIMARY KEY, at INTEGER NOT NULL);
    `,
  },
  {
    // Where the database stands in each stream, so an instance taking over reads on from
    // there, and a database ahead of its streams (the streams were reset) is refused.
    name: 'runtime_003_positions',
    up: `
      CREATE TABLE _positions (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL);
      CREATE TABLE _runtime (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    // When each outbox row was written (real time, ms), for the age of the oldest one waiting:
    // an event's own event_time may be a business time a test or a replay chose. Rows already
    // waiting count from the upgrade.
    name: 'runtime_004_outbox_written_at',
    up: `
      ALTER TABLE outbox ADD COLUMN written_at INTEGER NOT NULL DEFAULT 0;
      UPDATE outbox SET written_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
    `,
  },
]

/** The last sequence of each stream this database has applied (read, consumed or published). */
export function positions(store: Store<unknown>): Map<string, number> {
  return new Map((store.prepare('SELECT stream, seq FROM _positions').all() as Array<{ stream: string; seq: number }>).map((p) => [p.stream, p.seq]))
}

/** Records that the database has applied a stream up to `seq` (never moving back). */
export function recordPosition(store: Store<unknown>, stream: string, seq: number): void {
  store.prepare('INSERT INTO _positions (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = max(seq, excluded.seq)').run(stream, seq)
}

/** A value the runtime keeps in the worker's database (the lease epoch it last held). */
export function runtimeValue(store: Store<unknown>, key: string): string | undefined {
  return store.prepare('SELECT value FROM _runtime WHERE key = ?').pluck().get(key) as string | undefined
}

export function setRuntimeValue(store: Store<unknown>, key: string, value: string): void {
  store.prepare('INSERT INTO _runtime (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
}

/** Forgets the events handled before `before` (ms), a chunk at a time; returns how many. */
export function pruneInbox(store: Store<unknown>, before: number): number {
  const prune = store.prepare('DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE handled_at < ? LIMIT 5000)')
  let pruned = 0
  for (;;) {
    const n = store.tx(() => prune.run(before).changes)
    pruned += n
    if (n < 5000) return pruned
  }
}

/** Whether the database takes a write now, without waiting for a lock: a row written and committed (a full disk refuses it). */
export function probeWrite(store: Store<unknown>, at: number): void {
  store.sqlite.pragma('busy_timeout = 0')
  try {
    store.prepare("INSERT INTO _health (key, at) VALUES ('probe', ?) ON CONFLICT (key) DO UPDATE SET at = excluded.at").run(at)
  } finally {
    store.sqlite.pragma('busy_timeout = 1000')
  }
}

export class Store<DB> {
  readonly sqlite: Database.Database
  /** Builds typed queries; run them with all/first/run. */
  readonly db: Kysely<DB>
  private readonly statements = new Map<string, Database.Statement>()
  private readonly limitedStatements = new Map<string, Map<number, Database.Statement>>()
  // One wrapper for every call: better-sqlite3 builds five functions per transaction(), which
  // the consumer paid for each event's savepoint.
  private readonly inTransaction: (fn: () => unknown) => unknown
  private group: Grouped[] = []
  private stopCheckpoints: (() => void) | undefined
  /** Who hears of the checkpoints, when they are made on a thread (checkpointOffThread). */
  checkpoints: CheckpointListener | undefined

  constructor(readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
    this.sqlite = new Database(file)
    // WAL with synchronous=NORMAL survives a killed process; a lost power supply may
    // cost the last transactions, which the broker then redelivers.
    this.sqlite.pragma('journal_mode = WAL')
    this.sqlite.pragma('synchronous = NORMAL')
    // A checkpoint copies the WAL into the database and syncs both. At SQLite's default of
    // 1000 pages a batch of events touching random keys checkpointed at nearly every commit,
    // syncing the same pages again and again; 10000 pages (about 40 MB of WAL) lets a page
    // changed by many batches reach the database once.
    // A worker's database is checkpointed on a thread instead (checkpoints.ts).
    this.sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
    // Only this process writes; another one holding the lock (a backup, an operator's sqlite3)
    // is waited for a second, then the caller retries without blocking the event loop longer.
    this.sqlite.pragma('busy_timeout = 1000')
    this.sqlite.pragma('foreign_keys = ON')
    // 8 MB of page cache, half of better-sqlite3's default: a rebuild of billing from 250,004
    // events ran as fast (36.5k against 35.9k events/s: the OS keeps the file's pages too) with
    // 14 MB less resident, which the checkpoint thread (checkpoints.ts, about 8 MB) needs.
    this.sqlite.pragma('cache_size = -8000')
    this.inTransaction = this.sqlite.transaction((fn: () => unknown) => fn())
    this.db = new Kysely<DB>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new SqliteIntrospector(db),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    })
  }

  all<R>(query: Compilable<R>): R[] {
    const compiled = query.compile()
    return this.prepare(compiled.sql).all(...(compiled.parameters as unknown[])) as R[]
  }

  first<R>(query: Compilable<R>): R | undefined {
    const compiled = query.compile()
    return this.prepare(compiled.sql).get(...(compiled.parameters as unknown[])) as R | undefined
  }

  run(query: Compilable<unknown>): RunResult {
    const compiled = query.compile()
    return this.prepare(compiled.sql).run(...(compiled.parameters as unknown[]))
  }

  /** Raw SQL for schema scripts and pragmas. */
  exec(sql: string): void {
    this.sqlite.exec(sql)
  }

  /** A prepared statement, cached by its SQL text: the runtime's hot paths use these. */
  prepare(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE_LIMIT) this.statements.clear()
      statement = this.sqlite.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  /**
   * The prepared statement of sql (a SELECT without a LIMIT) limited to `limit` rows (-1: all),
   * the number written into the statement. SQLite plans with the value bound to a `LIMIT ?`,
   * so it prepares such a statement again at every run: a page of tasks took 11.7 µs that way
   * and 2.5 µs with the number written in. One statement per limit a caller uses (a page size,
   * a batch size): a few.
   */
  limited(sql: string, limit: number): Database.Statement {
    // Found by the caller's own text and the number: the text with its limit, built and hashed
    // again for every read, cost a tenth of a page of tasks.
    let byLimit = this.limitedStatements.get(sql)
    const known = byLimit?.get(limit)
    if (known) return known
    if (!Number.isSafeInteger(limit) || limit < -1) throw new Error(`a limit is a whole number of rows, not ${limit}`)
    if (!byLimit) {
      if (this.limitedStatements.size >= STATEMENT_CACHE_LIMIT) this.limitedStatements.clear()
      byLimit = new Map()
      this.limitedStatements.set(sql, byLimit)
    }
    const statement = this.sqlite.prepare(`${sql} LIMIT ${limit}`)
    byLimit.set(limit, statement)
    return statement
  }

  /**
   * How many transactions and savepoints were rolled back: what a worker remembers of its own
   * writes (billing's calendar) is only as good as the writes that stayed.
   */
  rollbacks = 0

  /** Runs fn in a transaction; inside another transaction it is a savepoint. */
  tx<T>(fn: () => T): T {
    try {
      return this.inTransaction(fn) as T
    } catch (error) {
      this.rollbacks += 1
      throw error
    }
  }

  /**
   * Runs fn in a transaction of its own that commits together with every other one asked for
   * before the event loop turns: each in its own savepoint, all in one commit. A commit writes
   * every page the transaction changed to the WAL, which cost more than a whole task creation;
   * requests arriving together now share it. Resolves with fn's result once committed, rejects
   * with fn's error (its savepoint rolled back, the others kept) or with the commit's.
   */
  txGrouped<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.group.length === 0) setImmediate(() => this.commitGroup())
      this.group.push({ fn, resolve: resolve as (value: unknown) => void, reject })
    })
  }

  private commitGroup(): void {
    const group = this.group
    this.group = []
    let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>
    try {
      outcomes = this.tx(() =>
        group.map(({ fn }) => {
          try {
            return { ok: true as const, value: this.tx(fn) }
          } catch (error) {
            return { ok: false as const, error }
          }
        }),
      )
    } catch (error) {
      for (const { reject } of group) reject(error)
      return
    }
    group.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i]!
      if (outcome.ok) resolve(outcome.value)
      else reject(outcome.error)
    })
  }

  migrate(migrations: ReadonlyArray<Migration<DB>>): string[] {
    this.exec('CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)')
    const applied = new Set(
      (this.sqlite.prepare('SELECT name FROM _migrations').all() as Array<{ name: string }>).map((r) => r.name),
    )
    const done: string[] = []
    for (const migration of migrations) {
      if (applied.has(migration.name)) continue
      this.tx(() => {
        if (typeof migration.up === 'string') this.exec(migration.up)
        else migration.up(this)
        this.sqlite
          .prepare("INSERT INTO _migrations (name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
          .run(migration.name)
      })
      done.push(migration.name)
    }
    return done
  }

  /** From now on the WAL is checkpointed on a thread, not by this connection's commits (checkpoints.ts). */
  checkpointOffThread(told: CheckpointListener): void {
    if (this.file === ':memory:' || this.stopCheckpoints) return
    this.checkpoints = told
    this.stopCheckpoints = checkpointOffThread(this.sqlite, this.file, told)
  }

  close(): void {
    this.stopCheckpoints?.()
    this.statements.clear()
    if (this.sqlite.open) this.sqlite.close()
  }
}

/** Opens a worker's database and brings it to the newest schema (runtime tables first). */
export function openStore<DB>(file: string, migrations: ReadonlyArray<Migration<DB>>, checkpoints?: CheckpointListener): Store<DB> {
  const store = new Store<DB>(file)
  store.migrate([...(runtimeMigrations as Array<Migration<DB>>), ...migrations])
  if (checkpoints) store.checkpointOffThread(checkpoints)
  return store
}
