// The audit's SQLite file: the facts it read from the streams, what is left to judge (dirty
// subjects), and what the rules found. Every SQL statement of the audit is here.
import { nextDay } from '../runtime/days.ts'
import type { Migration, Store } from '../runtime/store.ts'
import type { Cause, Entry, Fact, Finding, Kind, Price, Scope, TaskFacts } from './domain.ts'
import type { AccountDayFacts, Close, DayFacts, DayLedger, Figures, PayoutMade } from './ledger.ts'

export type DB = {
  created: { event_id: string; task_id: string; at: string }
  prices: { event_id: string; task_id: string; assign_fee: number; completion_reward: number; at: string }
  causes: { event_id: string; kind: 'assigned' | 'completed'; task_id: string; account_id: string; charge_id: string; at: string }
  entries: Entry
  accounts: { account_id: string }
  payouts_made: PayoutMade
  closes: Close
  figures: Figures
  dirty: { mark: number; scope: Scope; subject: string }
  findings: { scope: Scope; subject: string; key: string; kind: Kind; message: string; events: string; since: string }
}

export const migrations: Array<Migration<DB>> = [
  {
    name: 'audit_001',
    up: `
      CREATE TABLE created (event_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX created_task ON created (task_id);
      CREATE TABLE prices (event_id TEXT PRIMARY KEY, task_id TEXT NOT NULL, assign_fee INTEGER NOT NULL, completion_reward INTEGER NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX prices_task ON prices (task_id);
      -- tasks.assigned and tasks.completed, with the id of the fee or reward they cause.
      CREATE TABLE causes (event_id TEXT PRIMARY KEY, kind TEXT NOT NULL, task_id TEXT NOT NULL, account_id TEXT NOT NULL, charge_id TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX causes_task ON causes (task_id);
      CREATE INDEX causes_charge ON causes (charge_id);
      CREATE TABLE entries (
        event_id TEXT PRIMARY KEY, transaction_id TEXT NOT NULL, account_id TEXT NOT NULL, kind TEXT NOT NULL,
        debit INTEGER NOT NULL, credit INTEGER NOT NULL, task_id TEXT, business_day TEXT NOT NULL,
        balance_after INTEGER NOT NULL, applied_at TEXT NOT NULL, at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX entries_transaction ON entries (transaction_id);
      CREATE INDEX entries_task ON entries (task_id) WHERE task_id IS NOT NULL;
      CREATE INDEX entries_account_time ON entries (account_id, applied_at, at);
      CREATE INDEX entries_day ON entries (business_day, kind, account_id);
      CREATE TABLE accounts (account_id TEXT PRIMARY KEY) WITHOUT ROWID;
      CREATE TABLE payouts_made (event_id TEXT PRIMARY KEY, transaction_id TEXT NOT NULL, account_id TEXT NOT NULL, business_day TEXT NOT NULL, amount INTEGER NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX payouts_made_transaction ON payouts_made (transaction_id);
      CREATE INDEX payouts_made_day ON payouts_made (business_day);
      CREATE TABLE closes (
        event_id TEXT PRIMARY KEY, business_day TEXT NOT NULL, accounts_paid INTEGER NOT NULL, total_paid INTEGER NOT NULL,
        management_earnings INTEGER NOT NULL, accounts_negative INTEGER NOT NULL, at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX closes_day ON closes (business_day);
      CREATE TABLE figures (event_id TEXT PRIMARY KEY, business_day TEXT NOT NULL, management_earnings INTEGER NOT NULL, accounts_negative INTEGER NOT NULL, at TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX figures_day ON figures (business_day);
      -- Subjects whose facts changed since they were last judged; mark grows with each new one.
      CREATE TABLE dirty (mark INTEGER PRIMARY KEY, scope TEXT NOT NULL, subject TEXT NOT NULL, UNIQUE (scope, subject));
      CREATE TABLE findings (
        scope TEXT NOT NULL, subject TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
        events TEXT NOT NULL, since TEXT NOT NULL, PRIMARY KEY (scope, subject, key)
      ) WITHOUT ROWID;
      CREATE INDEX findings_since ON findings (since);
    `,
  },
  {
    // The order the audit took each entry in, its stream order: entries of one decision (a
    // reshuffle moving two tasks to one popug) share their times, and their ids are random.
    name: 'audit_002_entries_taken',
    up: `
      ALTER TABLE entries ADD COLUMN taken INTEGER;
      CREATE INDEX entries_taken ON entries (taken);
    `,
  }
]

/** An account's day of entries as a subject: "<account id> <UTC day>". */
export const accountDay = (accountId: string, day: string) => `${accountId} ${day}`
export const splitAccountDay = (subject: string) => {
  const [account_id, day] = subject.split(' ') as [string, string]
  return { account_id, day }
}

// ---- facts, as the handlers record them; each marks what it may change -------------------

function mark(store: Store<DB>, scope: Scope, subject: string): void {
  store.prepare('INSERT OR IGNORE INTO dirty (scope, subject) VALUES (?, ?)').run(scope, subject)
}

export function saveCreated(store: Store<DB>, fact: DB['created']): void {
  store.prepare('INSERT OR IGNORE INTO created (event_id, task_id, at) VALUES (?, ?, ?)').run(fact.event_id, fact.task_id, fact.at)
  mark(store, 'task', fact.task_id)
}

export function savePrice(store: Store<DB>, fact: DB['prices']): void {
  store.prepare('INSERT OR IGNORE INTO prices (event_id, task_id, assign_fee, completion_reward, at) VALUES (?, ?, ?, ?, ?)').run(fact.event_id, fact.task_id, fact.assign_fee, fact.completion_reward, fact.at)
  mark(store, 'task', fact.task_id)
}

/** A cause explains the entries carrying its charge's id, whatever task or account they name. */
export function saveCause(store: Store<DB>, fact: DB['causes']): void {
  store.prepare('INSERT OR IGNORE INTO causes (event_id, kind, task_id, account_id, charge_id, at) VALUES (?, ?, ?, ?, ?, ?)').run(fact.event_id, fact.kind, fact.task_id, fact.account_id, fact.charge_id, fact.at)
  mark(store, 'task', fact.task_id)
  const charged = store.prepare('SELECT task_id, account_id, applied_at FROM entries WHERE transaction_id = ?').all(fact.charge_id) as Array<{ task_id: string | null; account_id: string; applied_at: string }>
  for (const entry of charged) {
    if (entry.task_id !== null) mark(store, 'task', entry.task_id)
    mark(store, 'account_day', accountDay(entry.account_id, entry.applied_at.slice(0, 10)))
  }
}

export function saveEntry(store: Store<DB>, entry: Entry): void {
  const added = store
    .prepare(
      `INSERT OR IGNORE INTO entries (event_id, transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at, at, taken)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(taken), 0) + 1 FROM entries))`,
    )
    .run(entry.event_id, entry.transaction_id, entry.account_id, entry.kind, entry.debit, entry.credit, entry.task_id, entry.business_day, entry.balance_after, entry.applied_at, entry.at)
  if (added.changes === 0) return
  store.prepare('INSERT OR IGNORE INTO accounts (account_id) VALUES (?)').run(entry.account_id)
  const day = entry.applied_at.slice(0, 10)
  mark(store, 'account_day', accountDay(entry.account_id, day))
  mark(store, 'day', entry.business_day)
  if (entry.task_id !== null) mark(store, 'task', entry.task_id)
  const cause = store.prepare('SELECT task_id FROM causes WHERE charge_id = ?').pluck().all(entry.transaction_id) as string[]
  for (const task of cause) mark(store, 'task', task)
  // The next day of the account's chain opens on the balance this one ends on.
  const later = store.prepare('SELECT applied_at FROM entries WHERE account_id = ? AND applied_at >= ? ORDER BY applied_at LIMIT 1').pluck().get(entry.account_id, nextDay(day)) as string | undefined
  if (later) mark(store, 'account_day', accountDay(entry.account_id, later.slice(0, 10)))
  // A close pays the balances of its moment: an entry from before a close reached later changes what it should have paid.
  for (const closed of store.prepare('SELECT business_day FROM closes WHERE at >= ?').pluck().all(entry.applied_at) as string[]) mark(store, 'day', closed)
}

export function savePayoutMade(store: Store<DB>, fact: PayoutMade): void {
  store.prepare('INSERT OR IGNORE INTO payouts_made (event_id, transaction_id, account_id, business_day, amount, at) VALUES (?, ?, ?, ?, ?, ?)').run(fact.event_id, fact.transaction_id, fact.account_id, fact.business_day, fact.amount, fact.at)
  mark(store, 'day', fact.business_day)
  const paid = store.prepare('SELECT account_id, applied_at FROM entries WHERE transaction_id = ?').all(fact.transaction_id) as Array<{ account_id: string; applied_at: string }>
  for (const entry of paid) mark(store, 'account_day', accountDay(entry.account_id, entry.applied_at.slice(0, 10)))
}

export function saveClose(store: Store<DB>, fact: Close): void {
  store
    .prepare('INSERT OR IGNORE INTO closes (event_id, business_day, accounts_paid, total_paid, management_earnings, accounts_negative, at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(fact.event_id, fact.business_day, fact.accounts_paid, fact.total_paid, fact.management_earnings, fact.accounts_negative, fact.at)
  mark(store, 'day', fact.business_day)
  const payouts = store.prepare("SELECT account_id, applied_at FROM entries WHERE business_day = ? AND kind = 'payout'").all(fact.business_day) as Array<{ account_id: string; applied_at: string }>
  for (const entry of payouts) mark(store, 'account_day', accountDay(entry.account_id, entry.applied_at.slice(0, 10)))
}

export function saveFigures(store: Store<DB>, fact: Figures): void {
  store.prepare('INSERT OR IGNORE INTO figures (event_id, business_day, management_earnings, accounts_negative, at) VALUES (?, ?, ?, ?, ?)').run(fact.event_id, fact.business_day, fact.management_earnings, fact.accounts_negative, fact.at)
  mark(store, 'day', fact.business_day)
}

// ---- what is left to judge --------------------------------------------------------------

/** The newest mark now: what is dirty up to it was marked before this moment. */
export function lastMark(store: Store<DB>): number {
  return (store.prepare('SELECT max(mark) FROM dirty').pluck().get() as number | null) ?? 0
}

/** The oldest dirty subjects marked up to `upTo`, at most `limit`. */
export function dirtySubjects(store: Store<DB>, upTo: number, limit: number): Array<DB['dirty']> {
  return store.limited('SELECT mark, scope, subject FROM dirty WHERE mark <= ? ORDER BY mark', limit).all(upTo) as Array<DB['dirty']>
}

export function judged(store: Store<DB>, marks: readonly number[]): void {
  const remove = store.prepare('DELETE FROM dirty WHERE mark = ?')
  for (const m of marks) remove.run(m)
}

// ---- the facts of one subject, for the rules ---------------------------------------------

const ENTRY_COLUMNS = 'event_id, transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at, at, taken'

export function taskFacts(store: Store<DB>, taskId: string): TaskFacts {
  const created = store.prepare('SELECT event_id, at FROM created WHERE task_id = ? ORDER BY at, event_id').all(taskId) as Fact[]
  const prices = store.prepare('SELECT event_id, assign_fee, completion_reward, at FROM prices WHERE task_id = ? ORDER BY at, event_id').all(taskId) as Price[]
  const charges = store.prepare(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE transaction_id = ? ORDER BY at, event_id`)
  const causes = (store.prepare('SELECT event_id, kind, account_id, charge_id, at FROM causes WHERE task_id = ? ORDER BY at, event_id').all(taskId) as Array<DB['causes']>).map(
    (c): Cause => ({ event_id: c.event_id, kind: c.kind, account_id: c.account_id, at: c.at, charges: charges.all(c.charge_id) as Entry[] }),
  )
  const loose = store
    .prepare(`SELECT ${ENTRY_COLUMNS} FROM entries e WHERE task_id = ? AND kind != 'payout' AND NOT EXISTS (SELECT 1 FROM causes c WHERE c.charge_id = e.transaction_id) ORDER BY at, event_id`)
    .all(taskId) as Entry[]
  return { task_id: taskId, created, prices, causes, loose }
}

export function accountDayFacts(store: Store<DB>, accountId: string, day: string): AccountDayFacts {
  const entries = (
    store
      .prepare(`SELECT ${ENTRY_COLUMNS}, EXISTS (SELECT 1 FROM causes c WHERE c.charge_id = e.transaction_id) AS explained FROM entries e WHERE account_id = ? AND applied_at >= ? AND applied_at < ?`)
      .all(accountId, day, nextDay(day)) as Array<Entry & { explained: number }>
  ).map((e) => ({ ...e, explained: e.explained === 1 }))
  const opening = store.prepare('SELECT balance_after FROM entries WHERE account_id = ? AND applied_at < ? ORDER BY applied_at DESC, at DESC, taken DESC, event_id DESC LIMIT 1').pluck().get(accountId, day) as number | undefined
  const payouts = entries.filter((e) => e.kind === 'payout')
  const made = store.prepare('SELECT event_id, transaction_id, account_id, business_day, amount, at FROM payouts_made WHERE transaction_id = ?')
  const isClosed = store.prepare('SELECT 1 FROM closes WHERE business_day = ? LIMIT 1').pluck()
  return {
    account_id: accountId,
    day,
    opening: opening ?? 0,
    entries,
    payoutsMade: payouts.flatMap((p) => made.all(p.transaction_id) as PayoutMade[]),
    closed: new Set(payouts.map((p) => p.business_day).filter((d) => isClosed.get(d) !== undefined)),
  }
}

export function dayFacts(store: Store<DB>, day: string): DayFacts {
  const closes = store.prepare('SELECT event_id, business_day, accounts_paid, total_paid, management_earnings, accounts_negative, at FROM closes WHERE business_day = ? ORDER BY at, event_id').all(day) as Close[]
  const figures = store.prepare('SELECT event_id, business_day, management_earnings, accounts_negative, at FROM figures WHERE business_day = ? ORDER BY at, event_id').all(day) as Figures[]
  const unreported = store
    .prepare('SELECT event_id, transaction_id, account_id, business_day, amount, at FROM payouts_made m WHERE business_day = ? AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.transaction_id = m.transaction_id)')
    .all(day) as PayoutMade[]
  const close = closes[0]
  return { business_day: day, closes, figures, unreported, ledger: close ? dayLedger(store, day, close.at) : EMPTY_LEDGER }
}

const EMPTY_LEDGER: DayLedger = { fees: 0, rewards: 0, accountsPaid: 0, totalPaid: 0, accountsNegative: 0, unpaid: [], newest: undefined }

/** A closed day as the ledger has it; `closedAt` is the moment of its close, when billing's balances were paid. */
function dayLedger(store: Store<DB>, day: string, closedAt: string): DayLedger {
  const kinds = store
    .prepare('SELECT kind, count(*) AS n, sum(debit) AS debit, sum(credit) AS credit FROM (SELECT kind, debit, credit FROM entries WHERE business_day = ? GROUP BY transaction_id) GROUP BY kind')
    .all(day) as Array<{ kind: Entry['kind']; n: number; debit: number; credit: number }>
  const of = (kind: Entry['kind']) => kinds.find((k) => k.kind === kind)
  const balances = store
    .prepare(
      `SELECT a.account_id, (SELECT balance_after FROM entries e WHERE e.account_id = a.account_id AND e.applied_at <= ? ORDER BY e.applied_at DESC, e.at DESC, e.taken DESC, e.event_id DESC LIMIT 1) AS balance,
              EXISTS (SELECT 1 FROM entries p WHERE p.business_day = ? AND p.kind = 'payout' AND p.account_id = a.account_id) AS paid
       FROM accounts a`,
    )
    .all(closedAt, day) as Array<{ account_id: string; balance: number | null; paid: number }>
  return {
    fees: of('assign_fee')?.debit ?? 0,
    rewards: of('completion_reward')?.credit ?? 0,
    accountsPaid: of('payout')?.n ?? 0,
    totalPaid: of('payout')?.debit ?? 0,
    accountsNegative: balances.filter((b) => (b.balance ?? 0) < 0).length,
    unpaid: balances.filter((b) => (b.balance ?? 0) > 0 && b.paid === 0).map((b) => ({ account_id: b.account_id, balance: b.balance ?? 0 })),
    newest: (store.prepare('SELECT max(at) FROM entries WHERE business_day = ?').pluck().get(day) as string | null) ?? undefined,
  }
}

// ---- findings ----------------------------------------------------------------------------

/** What the rules found for a subject now replaces what they found before. */
export function replaceFindings(store: Store<DB>, scope: Scope, subject: string, findings: readonly Finding[]): void {
  store.prepare('DELETE FROM findings WHERE scope = ? AND subject = ?').run(scope, subject)
  const insert = store.prepare('INSERT OR REPLACE INTO findings (scope, subject, key, kind, message, events, since) VALUES (?, ?, ?, ?, ?, ?, ?)')
  for (const f of findings) insert.run(scope, subject, f.key, f.kind, f.message, JSON.stringify(f.events), f.since)
}

export type StoredFinding = DB['findings']

/** Findings (of one kind, or all) that arose at or before `cutoff`: the differences, oldest first, at most `limit`. */
export function findingsUpTo(store: Store<DB>, cutoff: string, kind: Kind | undefined, limit: number): StoredFinding[] {
  return store
    .limited('SELECT scope, subject, key, kind, message, events, since FROM findings WHERE since <= ? AND (? IS NULL OR kind = ?) ORDER BY since, scope, subject, key', limit)
    .all(cutoff, kind ?? null, kind ?? null) as StoredFinding[]
}

/** How many findings of each kind arose at or before `cutoff`, and how many after it (pending). */
export function findingCounts(store: Store<DB>, cutoff: string): { byKind: Map<Kind, number>; pending: number } {
  const rows = store.prepare('SELECT kind, count(*) AS n FROM findings WHERE since <= ? GROUP BY kind').all(cutoff) as Array<{ kind: Kind; n: number }>
  const pending = store.prepare('SELECT count(*) FROM findings WHERE since > ?').pluck().get(cutoff) as number
  return { byKind: new Map(rows.map((r) => [r.kind, r.n])), pending }
}

/** What the audit has read: tasks, accounts, ledger entries and the cents they moved. */
export function totals(store: Store<DB>): { tasks: number; accounts: number; entries: number; cents: number } {
  const tasks = store.prepare('SELECT count(*) FROM (SELECT task_id FROM created UNION SELECT task_id FROM causes UNION SELECT task_id FROM prices)').pluck().get() as number
  const accounts = store.prepare('SELECT count(*) FROM accounts').pluck().get() as number
  const ledger = store.prepare('SELECT count(*) AS entries, coalesce(sum(debit + credit), 0) AS cents FROM entries').get() as { entries: number; cents: number }
  return { tasks, accounts, ...ledger }
}
