// analytics' read models, built only from events.
import type { Migration } from '../runtime/store.ts'

export type DB = {
  tasks: { task_id: string; title: string | null; jira_id: string | null; completion_reward: number | null }
  completions: { task_id: string; business_day: string; reward: number; applied_at: string }
  balances: { account_id: string; balance: number }
  earnings: { business_day: string; fees: number; rewards: number }
  closed_days: { business_day: string; accounts_negative: number; management_earnings: number }
}

export const migrations: Array<Migration<DB>> = [
  {
    name: 'analytics_001',
    up: `
      CREATE TABLE tasks (task_id TEXT PRIMARY KEY, title TEXT, jira_id TEXT, completion_reward INTEGER);
      CREATE TABLE completions (task_id TEXT NOT NULL, business_day TEXT NOT NULL, reward INTEGER NOT NULL, applied_at TEXT NOT NULL);
      CREATE INDEX completions_day ON completions (business_day, reward);
      CREATE TABLE balances (account_id TEXT PRIMARY KEY, balance INTEGER NOT NULL);
      CREATE TABLE earnings (business_day TEXT PRIMARY KEY, fees INTEGER NOT NULL, rewards INTEGER NOT NULL);
      CREATE TABLE closed_days (business_day TEXT PRIMARY KEY, accounts_negative INTEGER NOT NULL, management_earnings INTEGER NOT NULL);
    `,
  },
  {
    // The most expensive task of a range is found in the index alone, in the order it asks for:
    // a month of 300k completions in 30 ms instead of 285 ms, a day of 10k in 1 ms instead of 10.
    name: 'analytics_002',
    up: 'DROP INDEX completions_day; CREATE INDEX completions_day_reward ON completions (business_day, reward DESC, applied_at, task_id)',
  },
]
