// Whether a token still speaks for its account. auth signs a token with the account's role at
// that moment, and the token is good for hours; the account may be deactivated or given
// another role meanwhile. auth checks its own account row on every request; every other worker
// keeps, from accounts.*, each account's role, whether it is active and when either last
// changed (a runtime table and a runtime consumer, so a worker has it without asking).
//
// The rule: a token counts when its account is active, has the role the token claims, and
// last changed role or activity no later than the token was issued. Both moments are auth's
// clock — the token's `iat` (milliseconds, as a fractional NumericDate) and the event_time
// auth stamps on accounts.updated, the same instant it stores the change — so the workers'
// own clocks, however skewed, play no part. An account a worker has not heard of yet (its
// accounts.created still on the way) is taken at its token's word.
import type { Role } from './auth.ts'
import { type Handlers, idempotent } from './batch.ts'
import type { Subscription } from './consumer.ts'
import { Lru, onePer } from './lru.ts'
import type { Migration, Store } from './store.ts'

/** What a worker knows of an account: its role, whether active, and when either last changed (ms). */
export type Standing = { role: Role; active: boolean; changedAt: number }

/** Why a token no longer counts; undefined when it does. */
export type Access = (token: { id: string; role: Role; issuedAt: number }) => string | undefined

/** The rule above, for a standing however it is known (undefined: not known). */
export function staleness(token: { role: Role; issuedAt: number }, standing: Standing | undefined): string | undefined {
  if (!standing) return undefined
  if (!standing.active) return 'the account is inactive'
  if (token.issuedAt < standing.changedAt || token.role !== standing.role) return 'the account changed after this token was issued'
  return undefined
}

export const accessMigrations: Array<Migration<unknown>> = [
  {
    name: 'runtime_002_account_access',
    up: `
      CREATE TABLE account_access (
        account_id TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        active INTEGER NOT NULL,
        changed_at INTEGER NOT NULL,
        as_of INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
]

type Row = { role: Role; active: number; changed_at: number; as_of: number }

/**
 * Handlers that keep account_access from accounts.* snapshots. Each is idempotent (the same
 * snapshot again changes nothing) and a snapshot older than the stored one is ignored, so they
 * keep no inbox record (idempotent) — the worker's own consumer of accounts.* reads the same
 * events. A snapshot that arrives behind a newer one it was overtaken by
 * (a redelivery) can only make changed_at later than it was: a token is refused too soon,
 * never accepted too long.
 */
export function accessHandlers(store: Store<unknown>): Handlers {
  const read = store.prepare('SELECT role, active, changed_at, as_of FROM account_access WHERE account_id = ?')
  const write = store.prepare(
    `INSERT INTO account_access (account_id, role, active, changed_at, as_of) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET role = excluded.role, active = excluded.active,
       changed_at = excluded.changed_at, as_of = excluded.as_of`,
  )
  const standings = remembered(store)
  type Snapshot = { event_time: string; data: { account_id: string; role: Role; active: boolean } }
  const apply = (event: Snapshot, created: boolean) => {
    const at = Date.parse(event.event_time)
    const { account_id: id, role } = event.data
    const active = event.data.active ? 1 : 0
    const row = read.get(id) as Row | undefined
    if (row && at < row.as_of) return
    // Forgotten before the change is written: a check after it reads the row again.
    standings.delete(id)
    // No token of an account is older than the account: its creation changes nothing (0). A
    // first snapshot that is an update (its creation not seen) is taken as a change.
    const changedAt = row ? (row.role !== role || row.active !== active ? at : row.changed_at) : created ? 0 : at
    write.run(id, role, active, changedAt, at)
  }
  return { 'accounts.created': idempotent((event) => apply(event, true)), 'accounts.updated': idempotent((event) => apply(event, false)) }
}

// Every request asks for its caller's standing: a read of the database of its own (two file
// locks taken and let go) cost a page of tasks more than its query. So each store remembers the
// standings it read, committed ones only: one read outside any transaction is remembered, a
// snapshot forgets its account before it writes, and a read inside a transaction (which may
// see a change that is then rolled back) is not remembered. At most this many accounts.
const REMEMBERED_ACCOUNTS = 20_000
const remembered = onePer((_: Store<unknown>) => new Lru<string, Standing | null>(REMEMBERED_ACCOUNTS))

/** The Access of a worker that keeps account_access. */
export function replicaAccess(store: () => Store<unknown>): Access {
  return (token) => {
    const current = store()
    const standings = remembered(current)
    let standing = standings.get(token.id)
    if (standing === undefined) {
      const row = current.prepare('SELECT role, active, changed_at FROM account_access WHERE account_id = ?').get(token.id) as Omit<Row, 'as_of'> | undefined
      standing = row ? { role: row.role, active: row.active === 1, changedAt: row.changed_at } : null
      if (!current.sqlite.inTransaction) standings.set(token.id, standing)
    }
    return staleness(token, standing ?? undefined)
  }
}

/** The name of a worker's account access consumer (with its instance's, when it has one). */
export const accessDurable = (worker: string, instance?: string) => (instance ? `${worker}-${instance}-access` : `${worker}-access`)

/** The runtime's consumer of accounts.* for a worker's account_access: all of ACCOUNTS, no inbox records. */
export function accessConsumer(worker: string, store: Store<unknown>, instance?: string): Subscription & { handlers: Handlers } {
  return { stream: 'ACCOUNTS', filter: 'accounts.>', durable: accessDurable(worker, instance), handlers: accessHandlers(store) }
}
