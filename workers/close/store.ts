// close's own SQLite: accounts (for e-mail addresses), the history of closes, payout mails.
import { snapshotUpsert } from '../runtime/replica.ts'
import type { Migration, Store } from '../runtime/store.ts'
import type { Calendar } from './domain.ts'

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
    attempts: number
    request_event_id: string | null
    next_attempt_at: string | null
    answered_at: string | null
    refused_reason: 'already_closed' | 'not_begun' | null
  }
  calendar: { key: 'open_day' | 'first_day' | 'zone'; value: string }
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
  {
    // Billing's calendar as its events tell it, and each request's answer and asks again.
    name: 'close_003_calendar_answers',
    up: `
      CREATE TABLE calendar (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ALTER TABLE closes ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE closes ADD COLUMN request_event_id TEXT;
      ALTER TABLE closes ADD COLUMN next_attempt_at TEXT;
      ALTER TABLE closes ADD COLUMN answered_at TEXT;
      ALTER TABLE closes ADD COLUMN refused_reason TEXT;
      UPDATE closes SET answered_at = closed_at, attempts = 1 WHERE requested_at IS NOT NULL;
      DELETE FROM meta WHERE key = 'first_day';
    `,
  },
]

export function saveAccount(store: Store<DB>, account: { account_id: string; name: string; email: string }, asOf: string): void {
  store.prepare(snapshotUpsert('accounts', 'account_id', ['name', 'email'])).run(account.account_id, account.name, account.email, asOf)
}

export function accountName(store: Store<DB>, accountId: string): string | undefined {
  return store.prepare('SELECT name FROM accounts WHERE account_id = ?').pluck().get(accountId) as string | undefined
}

/** Billing's calendar as close learnt it from billing's events. */
export function calendarOf(store: Store<DB>): Calendar {
  const value = (key: DB['calendar']['key']) => store.prepare('SELECT value FROM calendar WHERE key = ?').pluck().get(key) as string | undefined
  const lastClosed = (store.prepare('SELECT max(business_day) FROM closes WHERE closed_at IS NOT NULL').pluck().get() as string | null) ?? undefined
  return { openDay: value('open_day'), firstDay: value('first_day'), lastClosed, zone: value('zone') }
}

/** Billing opened a day: the newest is its open day, the oldest its first; the zone is billing's. */
export function saveOpened(store: Store<DB>, day: string, zone: string): void {
  const set = store.prepare('INSERT INTO calendar (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE ?')
  const current = calendarOf(store)
  set.run('open_day', day, current.openDay === undefined || day > current.openDay ? 1 : 0)
  set.run('first_day', day, current.firstDay === undefined || day < current.firstDay ? 1 : 0)
  set.run('zone', zone, 1)
}

export type Request = Pick<DB['closes'], 'business_day' | 'requested_at' | 'attempts' | 'answered_at' | 'closed_at' | 'refused_reason'>

export function requestOf(store: Store<DB>, day: string): Request | undefined {
  return store.prepare('SELECT business_day, requested_at, attempts, answered_at, closed_at, refused_reason FROM closes WHERE business_day = ?').get(day) as Request | undefined
}

/** Records an ask (the first or one more) for a day, and when to ask again if billing does not answer. */
export function saveRequest(store: Store<DB>, ask: { business_day: string; at: string; by: string; attempts: number; request_event_id: string; next_attempt_at: string }): void {
  store
    .prepare(
      `INSERT INTO closes (business_day, requested_at, requested_by, attempts, request_event_id, next_attempt_at, answered_at, refused_reason)
       VALUES (@business_day, @at, @by, @attempts, @request_event_id, @next_attempt_at, NULL, NULL)
       ON CONFLICT (business_day) DO UPDATE SET requested_at = excluded.requested_at, requested_by = excluded.requested_by, attempts = excluded.attempts,
         request_event_id = excluded.request_event_id, next_attempt_at = excluded.next_attempt_at, answered_at = NULL, refused_reason = NULL`,
    )
    .run(ask)
}

/** Asks billing has not answered whose time to ask again has come. */
export function unanswered(store: Store<DB>, dueBy?: string): Array<DB['closes']> {
  const due = dueBy === undefined ? '' : 'AND next_attempt_at <= ?'
  return store
    .prepare(`SELECT * FROM closes WHERE requested_at IS NOT NULL AND answered_at IS NULL AND closed_at IS NULL ${due} ORDER BY business_day`)
    .all(...(dueBy === undefined ? [] : [dueBy])) as Array<DB['closes']>
}

/** Billing closed a day: its summary, and the answer to any ask for it or an earlier day. */
export function saveClosed(store: Store<DB>, closed: { business_day: string; accounts_paid: number; total_paid: number; management_earnings: number }, at: string): void {
  store
    .prepare(
      `INSERT INTO closes (business_day, closed_at, accounts_paid, total_paid, management_earnings) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (business_day) DO UPDATE SET closed_at = excluded.closed_at, accounts_paid = excluded.accounts_paid,
         total_paid = excluded.total_paid, management_earnings = excluded.management_earnings`,
    )
    .run(closed.business_day, at, closed.accounts_paid, closed.total_paid, closed.management_earnings)
  store.prepare('UPDATE closes SET answered_at = ? WHERE requested_at IS NOT NULL AND answered_at IS NULL AND business_day <= ?').run(at, closed.business_day)
}

/**
 * Billing refused an ask: a day already closed is answered; a day billing has not begun yet is
 * asked again on the backoff, as if unanswered.
 */
export function saveRefused(store: Store<DB>, refused: { business_day: string; reason: 'already_closed' | 'not_begun' }, at: string): void {
  if (refused.reason === 'already_closed') {
    store.prepare('UPDATE closes SET answered_at = ?, refused_reason = ? WHERE business_day = ? AND answered_at IS NULL').run(at, refused.reason, refused.business_day)
  } else {
    store.prepare('UPDATE closes SET refused_reason = ? WHERE business_day = ? AND answered_at IS NULL').run(refused.reason, refused.business_day)
  }
}

/** The closes, newest first, a year at most. */
export function closeHistory(store: Store<DB>): Array<DB['closes']> {
  return closesBefore(store, 366).slice(0, 366)
}

/** The closes, newest first, of the days before `before`; one more than asked, to tell whether a page follows. */
export function closesBefore(store: Store<DB>, limit: number, before?: string): Array<DB['closes']> {
  const from = before === undefined ? '' : 'WHERE business_day < ?'
  return store.limited(`SELECT * FROM closes ${from} ORDER BY business_day DESC`, limit + 1).all(...(before === undefined ? [] : [before])) as Array<DB['closes']>
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
    .limited(
      `SELECT m.*, a.email, a.name FROM mails m LEFT JOIN accounts a ON a.account_id = m.account_id
       WHERE m.status = 'pending' AND m.next_attempt_at <= ? ORDER BY m.next_attempt_at`,
      limit,
    )
    .all(now) as DueMail[]
}

/** A mail another instance sent (its payout may not have arrived here yet). */
export function saveMailed(store: Store<DB>, mailed: { transaction_id: string; account_id: string; business_day: string; amount: number; sent_at: string }): void {
  store
    .prepare(
      `INSERT INTO mails (transaction_id, account_id, business_day, amount, status, attempts, next_attempt_at, sent_at)
       VALUES (?, ?, ?, ?, 'sent', 1, ?, ?) ON CONFLICT (transaction_id) DO UPDATE SET status = 'sent', sent_at = excluded.sent_at`,
    )
    .run(mailed.transaction_id, mailed.account_id, mailed.business_day, mailed.amount, mailed.sent_at, mailed.sent_at)
}

export function markSent(store: Store<DB>, transactionId: string, at: string): void {
  store.prepare("UPDATE mails SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE transaction_id = ?").run(at, transactionId)
}

export function markFailed(store: Store<DB>, transactionId: string, error: string, nextAttemptAt: string): void {
  store.prepare('UPDATE mails SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE transaction_id = ?').run(error, nextAttemptAt, transactionId)
}
