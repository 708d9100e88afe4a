// close's own SQLite: accounts (for e-mail addresses), the history of closes, payout mails.
import type { Migration } from '../runtime/store.ts'

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
