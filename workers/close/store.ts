// close's own SQLite: accounts (for e-mail addresses), the history of closes, payout mails.
import { snapshotUpsert } from '../runtime/replica.ts'
import type { Migration, Store } from '../runtime/store.ts'

export type DB = {
  meta: { key: string; value: string }
  accounts: { account_id: string; name: string; email: string; as_of: string | null }
  closes: {
    business_day: string
    requested_at: string | null
    requested_by: string | null
    closed_at: string | null
    accounts_paid: number | null
    total_paid: number | null
    management_earnings: number | null
  }
  mails: {
    transaction_id: string
    account_id: string
    business_day: string
    amount: number
    status: 'pending' | 'sent'
    attempts: number
    next_attempt_at: string
    last_error: string | null
    sent_at: string | null
  }
}

export const migrations: Array<Migration<DB>> = [
  {
    name: 'close_001',
    up: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE accounts (account_id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
      CREATE TABLE closes (
        business_day TEXT PRIMARY KEY, requested_at TEXT, requested_by TEXT, closed_at TEXT,
        accounts_paid INTEGER, total_paid INTEGER, management_earnings INTEGER
      );
      CREATE TABLE mails (
        transaction_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, business_day TEXT NOT NULL, amount INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent')), attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL, last_error TEXT, sent_at TEXT
      );
      CREATE INDEX mails_due ON mails (status, next_attempt_at);
    `,
  },
  { name: 'close_002_accounts_as_of', up: 'ALTER TABLE accounts ADD COLUMN as_of TEXT' },
]

export function saveAccount(store: Store<DB>, account: { account_id: string; name: string; email: string }, asOf: string): void {
  store.prepare(snapshotUpsert('accounts', 'account_id', ['name', 'email'])).run(account.account_id, account.name, account.email, asOf)
}

export function accountName(store: Store<DB>, accountId: string): string | undefined {
  return store.prepare('SELECT name FROM accounts WHERE account_id = ?').pluck().get(accountId) as string | undefined
}

/** The day close first ran, remembered once: `today` on the first call. */
export function firstDay(store: Store<DB>, today: string): string {
  store.prepare("INSERT INTO meta (key, value) VALUES ('first_day', ?) ON CONFLICT DO NOTHING").run(today)
  return store.prepare("SELECT value FROM meta WHERE key = 'first_day'").pluck().get() as string
}

export function lastClosedDay(store: Store<DB>): string | undefined {
  return (store.prepare('SELECT max(business_day) FROM closes WHERE closed_at IS NOT NULL').pluck().get() as string | null) ?? undefined
}

export function isRequested(store: Store<DB>, day: string): boolean {
  return Boolean(store.prepare('SELECT requested_at FROM closes WHERE business_day = ?').pluck().get(day))
}

export function saveRequest(store: Store<DB>, day: string, at: string, by: string): void {
  store
    .prepare(
      'INSERT INTO closes (business_day, requested_at, requested_by) VALUES (?, ?, ?) ON CONFLICT (business_day) DO UPDATE SET requested_at = excluded.requested_at, requested_by = excluded.requested_by',
    )
    .run(day, at, by)
}

export function saveClosed(store: Store<DB>, closed: { business_day: string; accounts_paid: number; total_paid: number; management_earnings: number }, at: string): void {
  store
    .prepare(
      `INSERT INTO closes (business_day, closed_at, accounts_paid, total_paid, management_earnings) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (business_day) DO UPDATE SET closed_at = excluded.closed_at, accounts_paid = excluded.accounts_paid,
         total_paid = excluded.total_paid, management_earnings = excluded.management_earnings`,
    )
    .run(closed.business_day, at, closed.accounts_paid, closed.total_paid, closed.management_earnings)
}

/** The closes, newest first, a year at most. */
export function closeHistory(store: Store<DB>): Array<DB['closes']> {
  return store.prepare('SELECT * FROM closes ORDER BY business_day DESC LIMIT 366').all() as Array<DB['closes']>
}

/** A payout's mail, waiting to be sent; a redelivered payout finds it there already. */
export function insertMail(store: Store<DB>, payout: { transaction_id: string; account_id: string; business_day: string; amount: number }, at: string): void {
  store
    .prepare(
      `INSERT INTO mails (transaction_id, account_id, business_day, amount, status, next_attempt_at)
       VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`,
    )
    .run(payout.transaction_id, payout.account_id, payout.business_day, payout.amount, at)
}

export type DueMail = DB['mails'] & { email: string | null; name: string | null }

export function dueMails(store: Store<DB>, now: string, limit = 50): DueMail[] {
  return store
    .prepare(
      `SELECT m.*, a.email, a.name FROM mails m LEFT JOIN accounts a ON a.account_id = m.account_id
       WHERE m.status = 'pending' AND m.next_attempt_at <= ? ORDER BY m.next_attempt_at LIMIT ?`,
    )
    .all(now, limit) as DueMail[]
}

export function markSent(store: Store<DB>, transactionId: string, at: string): void {
  store.prepare("UPDATE mails SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE transaction_id = ?").run(at, transactionId)
}

export function markFailed(store: Store<DB>, transactionId: string, error: string, nextAttemptAt: string): void {
  store.prepare('UPDATE mails SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE transaction_id = ?').run(error, nextAttemptAt, transactionId)
}
