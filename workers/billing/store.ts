// billing's own SQLite: accounts it has seen, task prices and details, the ledger (rows are
// only ever inserted), balances as a cache of the ledger, and the business days.
import { amountsOf, type DayAmounts } from '../../contracts/money.ts'
import { snapshotUpsert } from '../runtime/replica.ts'
import type { Migration, Store } from '../runtime/store.ts'
import type { AccountBalance, Entry } from '../../contracts/http/billing.ts'
import type { Entry as LedgerEntry, Kind, Price } from './domain.ts'

export type DB = {
  accounts: { account_id: string; name: string | null; email: string | null; role: string | null; as_of: string | null }
  tasks: { task_id: string; assign_fee: number; completion_reward: number; title: string | null; jira_id: string | null; description: string | null }
  entries: {
    seq: number
    transaction_id: string
    account_id: string
    kind: Kind
    debit: number
    credit: number
    task_id: string | null
    business_day: string
    balance_after: number
    applied_at: string
  }
  balances: { account_id: string; balance: number }
  meta: { key: string; value: string }
  days: {
    business_day: string
    status: 'open' | 'closed'
    accounts_paid: number | null
    total_paid: number | null
    management_earnings: number | null
    accounts_negative: number | null
    closed_at: string | null
  }
}

/**
 * The ledger's indexes for reading (an account's day; a day's amounts by kind, which the close
 * and management earnings sum from the index alone). A restore into an empty ledger drops them
 * and builds them again once it is loaded: kept up to date row by row, each entry dirtied two
 * more pages at random places, and a restore spent a third of its time on them.
 */
const entryIndexColumns = {
  entries_account_day: '(account_id, business_day, seq)',
  // In the order entries are written (seq) within a day and kind: each new entry goes at the end
  // of its day's and kind's range, a page already in the cache, instead of a random place by
  // its amount; debit and credit come along, so the sums still read the index alone.
  entries_day_amounts: '(business_day, kind, seq, debit, credit)',
} as const

export const entryIndexes = Object.entries(entryIndexColumns).map(([name, columns]) => `CREATE INDEX IF NOT EXISTS ${name} ON entries ${columns}`)

export const dropEntryIndexes = Object.keys(entryIndexColumns).map((name) => `DROP INDEX IF EXISTS ${name};`).join(' ')

export const migrations: Array<Migration<DB>> = [
  {
    name: 'billing_001',
    up: `
      CREATE TABLE accounts (account_id TEXT PRIMARY KEY, name TEXT, email TEXT, role TEXT, as_of TEXT);
      CREATE TABLE tasks (
        task_id TEXT PRIMARY KEY,
        assign_fee INTEGER NOT NULL CHECK (assign_fee > 0),
        completion_reward INTEGER NOT NULL CHECK (completion_reward > 0),
        title TEXT, jira_id TEXT, description TEXT
      );
      CREATE TABLE entries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        transaction_id TEXT NOT NULL UNIQUE,
        account_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('assign_fee', 'completion_reward', 'payout')),
        debit INTEGER NOT NULL CHECK (debit >= 0),
        credit INTEGER NOT NULL CHECK (credit >= 0),
        task_id TEXT,
        business_day TEXT NOT NULL,
        balance_after INTEGER NOT NULL,
        applied_at TEXT NOT NULL
      );
      CREATE INDEX entries_account_day ON entries (account_id, business_day, seq);
      CREATE INDEX entries_day ON entries (business_day, kind);
      CREATE TABLE balances (account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
      CREATE TABLE days (
        business_day TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        accounts_paid INTEGER, total_paid INTEGER, management_earnings INTEGER, accounts_negative INTEGER,
        closed_at TEXT
      );
      -- Entries are never changed nor removed.
      CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
      CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
    `,
  },
  {
    // A day's amounts read from the index, not from the entries it points to: management
    // earnings and a close read no entry row, and billing answers nothing else while it sums.
    name: 'billing_002',
    up: 'DROP INDEX entries_day; CREATE INDEX entries_day_amounts ON entries (business_day, kind, debit, credit)',
  },
  {
    // The zone billing's calendar runs in, recorded with the first day it opens.
    name: 'billing_003_meta',
    up: 'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  },
  {
    // The accounts are listed a page at a time by name.
    name: 'billing_004_accounts_by_name',
    up: "CREATE INDEX accounts_by_name ON accounts (coalesce(name, ''), account_id)",
  },
  {
    // The day's amounts in the order entries are written (entryIndexColumns). A restore cut
    // short by a stop may have left the ledger without it (restore drops and rebuilds it).
    name: 'billing_005_day_amounts_in_order',
    up: `DROP INDEX IF EXISTS entries_day_amounts; CREATE INDEX entries_day_amounts ON entries ${entryIndexColumns.entries_day_amounts}`,
  },
]

export type Calendar = { currentDay: string | undefined; lastClosed: string | undefined; firstDay: string | undefined }

/**
 * The calendar as last read, per store: every event billing handles needs it (a day rolls before
 * anything is decided) and it changes a few times a day. Dropped by each write to `days`
 * (insertOpenDay, markClosed: the only ones), and not believed after any rollback since it was
 * read — a day opened in a batch that was then rolled back was never opened.
 */
const calendars = new WeakMap<Store<DB>, { calendar: Calendar; rollbacks: number }>()

/** Billing's calendar: the newest day opened, the last closed, the first. */
export function calendarOf(store: Store<DB>): Calendar {
  const kept = calendars.get(store)
  if (kept && kept.rollbacks === store.rollbacks) return kept.calendar
  const [currentDay, lastClosed, firstDay] = store
    .prepare("SELECT max(business_day), max(CASE status WHEN 'closed' THEN business_day END), min(business_day) FROM days")
    .raw(true)
    .get() as [string | null, string | null, string | null]
  const calendar = { currentDay: currentDay ?? undefined, lastClosed: lastClosed ?? undefined, firstDay: firstDay ?? undefined }
  calendars.set(store, { calendar, rollbacks: store.rollbacks })
  return calendar
}

/** The day entries are stamped with: the newest day billing opened. */
export function currentDay(store: Store<DB>): string | undefined {
  return (store.prepare('SELECT max(business_day) FROM days').pluck().get() as string | null) ?? undefined
}

/** A day billing opened (a day it has seen closed stays closed). */
export function insertOpenDay(store: Store<DB>, day: string): void {
  calendars.delete(store)
  store.prepare("INSERT INTO days (business_day, status) VALUES (?, 'open') ON CONFLICT DO NOTHING").run(day)
}

/** The zone billing's calendar runs in, once it has opened a day. */
export function timeZone(store: Store<DB>): string | undefined {
  return store.prepare("SELECT value FROM meta WHERE key = 'time_zone'").pluck().get() as string | undefined
}

export function setTimeZone(store: Store<DB>, zone: string): void {
  store.prepare("INSERT INTO meta (key, value) VALUES ('time_zone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(zone)
}

export function balanceOf(store: Store<DB>, accountId: string): number {
  return (store.prepare('SELECT balance FROM balances WHERE account_id = ?').pluck().get(accountId) as number | undefined) ?? 0
}

/** Every account's balance, in account id order. */
export function allBalances(store: Store<DB>): Array<{ account_id: string; balance: number }> {
  return store.prepare('SELECT account_id, balance FROM balances ORDER BY account_id').all() as Array<{ account_id: string; balance: number }>
}

export function isEmpty(store: Store<DB>): boolean {
  return store.prepare('SELECT (SELECT count(*) FROM days) + (SELECT count(*) FROM tasks) + (SELECT count(*) FROM entries)').pluck().get() === 0
}

export function saveAccount(store: Store<DB>, account: { account_id: string; name: string; email: string; role: string }, asOf: string): void {
  store.prepare(snapshotUpsert('accounts', 'account_id', ['name', 'email', 'role'])).run(account.account_id, account.name, account.email, account.role, asOf)
}

export function accountName(store: Store<DB>, accountId: string): string | null | undefined {
  return (store.prepare('SELECT name FROM accounts WHERE account_id = ?').get(accountId) as { name: string | null } | undefined)?.name
}

export function priceOf(store: Store<DB>, taskId: string): Price | undefined {
  return store.prepare('SELECT assign_fee, completion_reward FROM tasks WHERE task_id = ?').get(taskId) as Price | undefined
}

/** A task's price, once: a price already stored is kept. */
export function insertPrice(store: Store<DB>, price: Price & { task_id: string }): void {
  store.prepare('INSERT INTO tasks (task_id, assign_fee, completion_reward) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(price.task_id, price.assign_fee, price.completion_reward)
}

/** A priced task's title, jira id and description; false when it had them already. */
export function saveTaskDetails(store: Store<DB>, task: { task_id: string; title: string; jira_id: string | null; description: string }): boolean {
  return (
    store
      .prepare(
        `UPDATE tasks SET title = @title, jira_id = @jira_id, description = @description
         WHERE task_id = @task_id AND (title IS NOT @title OR jira_id IS NOT @jira_id OR description IS NOT @description)`,
      )
      .run({ task_id: task.task_id, title: task.title, jira_id: task.jira_id, description: task.description }).changes === 1
  )
}

export function isApplied(store: Store<DB>, transactionId: string): boolean {
  return store.prepare('SELECT 1 FROM entries WHERE transaction_id = ?').get(transactionId) !== undefined
}

/** Writes a ledger entry once (false when its transaction is there already). */
export function insertEntry(store: Store<DB>, entry: LedgerEntry): boolean {
  return (
    store
      .prepare(
        `INSERT INTO entries (transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at)
         VALUES (@transaction_id, @account_id, @kind, @debit, @credit, @task_id, @business_day, @balance_after, @applied_at)
         ON CONFLICT (transaction_id) DO NOTHING`,
      )
      .run(entry).changes === 1
  )
}

/** An account billing has not heard of yet (an entry came first): a placeholder that accounts.* completes. */
export function ensureAccount(store: Store<DB>, accountId: string): void {
  store.prepare('INSERT INTO accounts (account_id) VALUES (?) ON CONFLICT DO NOTHING').run(accountId)
}

/** The balance cache of an account: the ledger's sum, kept with each entry. */
export function setBalance(store: Store<DB>, accountId: string, balance: number): void {
  store.prepare('INSERT INTO balances (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = excluded.balance').run(accountId, balance)
}

export type DaySummary = { business_day: string; accounts_paid: number; total_paid: number; management_earnings: number; accounts_negative: number }

/** Marks a day closed with its summary. */
export function markClosed(store: Store<DB>, summary: DaySummary, at: string): void {
  calendars.delete(store)
  store
    .prepare(
      `INSERT INTO days (business_day, status, accounts_paid, total_paid, management_earnings, accounts_negative, closed_at)
       VALUES (@business_day, 'closed', @accounts_paid, @total_paid, @management_earnings, @accounts_negative, @at)
       ON CONFLICT (business_day) DO UPDATE SET status = 'closed', accounts_paid = excluded.accounts_paid, total_paid = excluded.total_paid,
         management_earnings = excluded.management_earnings, accounts_negative = excluded.accounts_negative, closed_at = excluded.closed_at`,
    )
    .run({ ...summary, at })
}

/** Events whose effect a restore found in the stream already: a consumer that sees them again skips them. */
export function markHandled(store: Store<DB>, eventIds: Iterable<string>, at: number): void {
  const remember = store.prepare("INSERT INTO inbox (event_id, consumer, handled_at) VALUES (?, 'restore', ?) ON CONFLICT DO NOTHING")
  for (const id of eventIds) remember.run(id, at)
}

/** Moves an account's balance cache by what entries brought in (credits − debits). */
export function addToBalance(store: Store<DB>, accountId: string, change: number): void {
  store.prepare('INSERT INTO balances (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance').run(accountId, change)
}

export function closedDaysBetween(store: Store<DB>, from: string, to: string): Set<string> {
  return new Set(store.prepare("SELECT business_day FROM days WHERE status = 'closed' AND business_day BETWEEN ? AND ?").pluck().all(from, to) as string[])
}

/** An entry as the API shows it (contracts/http/billing.ts). */
export type EntryView = Entry

/**
 * An account's entries of one day in the order they were applied, with their task: those after
 * the entry `afterSeq`, at most `limit` (-1: all). A popug's most frequent read: one prepared statement.
 */
export function entriesOf(store: Store<DB>, accountId: string, day: string, afterSeq = 0, limit = -1): { entries: EntryView[]; seqs: number[] } {
  const rows = store
    .limited(
      `SELECT e.seq, e.transaction_id, e.applied_at, e.kind, e.debit, e.credit, e.business_day, e.balance_after, e.task_id,
              t.jira_id, t.title, t.description
       FROM entries e LEFT JOIN tasks t ON t.task_id = e.task_id
       WHERE e.account_id = ? AND e.business_day = ? AND e.seq > ? ORDER BY e.seq`,
      limit,
    )
    .raw(true)
    .all(accountId, day, afterSeq) as EntryRow[]
  // Each view made by one literal from the row's array: objects made by a rest pattern cost
  // this read more than its query.
  const entries = new Array<EntryView>(rows.length)
  const seqs = new Array<number>(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const [seq, transaction_id, applied_at, kind, debit, credit, business_day, balance_after, task_id, jira_id, title, description] = rows[i]!
    const task = task_id === null ? null : { task_id, jira_id, title, description }
    entries[i] = { transaction_id, applied_at, kind, debit, credit, business_day, balance_after, task }
    seqs[i] = seq
  }
  return { entries, seqs }
}

/** A row of entriesOf's query, in the order of its select list. */
type EntryRow = [
  seq: number,
  transaction_id: string,
  applied_at: string,
  kind: Kind,
  debit: number,
  credit: number,
  business_day: string,
  balance_after: number,
  task_id: string | null,
  jira_id: string | null,
  title: string | null,
  description: string | null,
]

/** An account's debits and credits of a day summed by kind: what it earned, however many pages its entries take. */
export function dayAmountsOf(store: Store<DB>, accountId: string, day: string): KindSums[] {
  return store.prepare(accountDaySql.amounts).all(accountId, day) as KindSums[]
}

/**
 * The reads of one account's day. `seq > 0` (always true) makes the account's index the better
 * plan in SQLite's eyes: by (account_id, business_day) alone it chose the day's amounts index,
 * which covers the sums but reads every entry of the day, every account's — 9 s per request
 * with a million entries in one day. A test holds the plan.
 */
export const accountDaySql = {
  amounts: 'SELECT kind, sum(debit) AS debit, sum(credit) AS credit FROM entries WHERE account_id = ? AND business_day = ? AND seq > 0 GROUP BY kind',
} as const

/** Accounts with their balances by name (then id), after a (name, id); one more than asked, to tell whether a page follows. */
export function balancesAfter(store: Store<DB>, limit: number, after?: readonly [name: string, accountId: string]): AccountBalance[] {
  const statement = store.limited(after ? balancesPageSql.after : balancesPageSql.first, limit + 1)
  return statement.all(...(after ? [after[0], after[0], after[1]] : [])) as AccountBalance[]
}

const balancesSelect = `SELECT a.account_id, a.name, a.email, a.role, coalesce(b.balance, 0) AS balance
  FROM accounts a LEFT JOIN balances b ON b.account_id = a.account_id`

/**
 * The statements of balancesAfter, without their limit: a later page seeks its start in accounts_by_name (a test
 * checks the plan). Spelled out rather than as a row value, with which SQLite does not seek an
 * index on an expression.
 */
export const balancesPageSql = {
  first: `${balancesSelect} ORDER BY coalesce(a.name, ''), a.account_id`,
  after: `${balancesSelect} WHERE coalesce(a.name, '') >= ? AND (coalesce(a.name, '') > ? OR a.account_id > ?)
    ORDER BY coalesce(a.name, ''), a.account_id`,
} as const

export function accountsWithBalances(store: Store<DB>) {
  return store.all(
    store.db
      .selectFrom('accounts')
      .leftJoin('balances', 'balances.account_id', 'accounts.account_id')
      .select(['accounts.account_id', 'accounts.name', 'accounts.email', 'accounts.role', (eb) => eb.fn.coalesce('balances.balance', eb.lit(0)).as('balance')])
      .orderBy('accounts.name'),
  )
}

/** The statements that sum a day's amounts: each reads entries_day_amounts alone (a test checks their plans). */
export const amountsSql = {
  amountsByDay: `SELECT business_day, kind, sum(debit) AS debit, sum(credit) AS credit FROM entries
    WHERE business_day BETWEEN ? AND ? AND kind != 'payout' GROUP BY business_day, kind`,
  amountsOn: "SELECT kind, sum(debit) AS debit, sum(credit) AS credit FROM entries WHERE business_day = ? AND kind != 'payout' GROUP BY kind",
} as const

type KindSums = { kind: Kind; debit: number; credit: number }

function added(sum: DayAmounts, row: KindSums): DayAmounts {
  const amounts = amountsOf(row)
  return { fees: sum.fees + amounts.fees, rewards: sum.rewards + amounts.rewards }
}

/** Fees debited and rewards credited, per business day in [from, to] that has any. */
export function amountsByDay(store: Store<DB>, from: string, to: string): Map<string, DayAmounts> {
  const byDay = new Map<string, DayAmounts>()
  for (const row of store.prepare(amountsSql.amountsByDay).all(from, to) as Array<KindSums & { business_day: string }>) {
    byDay.set(row.business_day, added(byDay.get(row.business_day) ?? { fees: 0, rewards: 0 }, row))
  }
  return byDay
}

/** The fees and rewards of a day (payouts left out), for its close. */
export function amountsOn(store: Store<DB>, day: string): DayAmounts {
  return (store.prepare(amountsSql.amountsOn).all(day) as KindSums[]).reduce(added, { fees: 0, rewards: 0 })
}
