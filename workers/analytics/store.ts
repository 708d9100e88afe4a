// analytics' read models, built only from events.
import type { DayAmounts } from '../../contracts/money.ts'
import type { Migration, Store } from '../runtime/store.ts'
import type { EntryEffect } from './domain.ts'

export type DB = {
  tasks: { task_id: string; title: string | null; jira_id: string | null; completion_reward: number | null }
  completions: { task_id: string; business_day: string; reward: number; applied_at: string }
  balances: { account_id: string; balance: number }
  earnings: { business_day: string; fees: number; rewards: number }
  closed_days: { business_day: string; accounts_negative: number; management_earnings: number }
  opened_days: { business_day: string }
  entries: { transaction_id: string }
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
    // a month's answer reads one index entry, not every completion of the month.
    name: 'analytics_002',
    up: 'DROP INDEX completions_day; CREATE INDEX completions_day_reward ON completions (business_day, reward DESC, applied_at, task_id)',
  },
  {
    // The days billing opened (billing.day_opened): an early close opens the next day at once.
    name: 'analytics_003_opened_days',
    up: 'CREATE TABLE opened_days (business_day TEXT PRIMARY KEY)',
  },
  {
    // The ledger entries counted, by their transaction id: an entry seen again (a copy published
    // after the broker's duplicate window, or after the inbox forgot it) adds nothing twice.
    name: 'analytics_004_entries',
    up: 'CREATE TABLE entries (transaction_id TEXT PRIMARY KEY) WITHOUT ROWID',
  },
]

export function saveTitle(store: Store<DB>, task: { task_id: string; title: string; jira_id: string | null }): void {
  store
    .prepare(
      `INSERT INTO tasks (task_id, title, jira_id) VALUES (?, ?, ?)
       ON CONFLICT (task_id) DO UPDATE SET title = excluded.title, jira_id = excluded.jira_id`,
    )
    .run(task.task_id, task.title, task.jira_id)
}

export function savePrice(store: Store<DB>, price: { task_id: string; completion_reward: number }): void {
  store
    .prepare('INSERT INTO tasks (task_id, completion_reward) VALUES (?, ?) ON CONFLICT (task_id) DO UPDATE SET completion_reward = excluded.completion_reward')
    .run(price.task_id, price.completion_reward)
}

/** Adds what a ledger entry changed: its account's balance, its day's amounts, a completion; once per entry. */
export function addEntry(store: Store<DB>, transactionId: string, effect: EntryEffect): boolean {
  if (store.prepare('INSERT INTO entries (transaction_id) VALUES (?) ON CONFLICT DO NOTHING').run(transactionId).changes === 0) return false
  store
    .prepare('INSERT INTO balances (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = balance + excluded.balance')
    .run(effect.account_id, effect.balance)
  if (effect.amounts.fees !== 0 || effect.amounts.rewards !== 0) {
    store
      .prepare(
        `INSERT INTO earnings (business_day, fees, rewards) VALUES (?, ?, ?)
         ON CONFLICT (business_day) DO UPDATE SET fees = fees + excluded.fees, rewards = rewards + excluded.rewards`,
      )
      .run(effect.business_day, effect.amounts.fees, effect.amounts.rewards)
  }
  if (effect.completion) {
    store
      .prepare('INSERT INTO completions (task_id, business_day, reward, applied_at) VALUES (?, ?, ?, ?)')
      .run(effect.completion.task_id, effect.business_day, effect.completion.reward, effect.completion.applied_at)
  }
  return true
}

export function saveClosedDay(store: Store<DB>, day: DB['closed_days']): void {
  store
    .prepare('INSERT OR REPLACE INTO closed_days (business_day, accounts_negative, management_earnings) VALUES (?, ?, ?)')
    .run(day.business_day, day.accounts_negative, day.management_earnings)
}

export function saveOpenedDay(store: Store<DB>, day: string): void {
  store.prepare('INSERT INTO opened_days (business_day) VALUES (?) ON CONFLICT DO NOTHING').run(day)
}

/** The last day billing reported closed, the last it opened, and the newest day an entry was stamped with. */
export function daysSeen(store: Store<DB>): { lastClosed: string | undefined; lastOpened: string | undefined; newest: string | undefined } {
  const max = (sql: string) => (store.prepare(sql).pluck().get() as string | null) ?? undefined
  return {
    lastClosed: max('SELECT max(business_day) FROM closed_days'),
    lastOpened: max('SELECT max(business_day) FROM opened_days'),
    newest: max('SELECT max(business_day) FROM earnings'),
  }
}

/** A day's fees and rewards (zero for a day without entries). */
export function amountsOn(store: Store<DB>, day: string): DayAmounts {
  return (store.prepare('SELECT fees, rewards FROM earnings WHERE business_day = ?').get(day) as DayAmounts | undefined) ?? { fees: 0, rewards: 0 }
}

export function negativeAccounts(store: Store<DB>): number {
  return store.prepare('SELECT count(*) FROM balances WHERE balance < 0').pluck().get() as number
}

/** How many accounts were below zero when a day closed; undefined for a day not closed. */
export function negativeAtClose(store: Store<DB>, day: string): number | undefined {
  return store.prepare('SELECT accounts_negative FROM closed_days WHERE business_day = ?').pluck().get(day) as number | undefined
}

export type Expensive = { task_id: string; title: string | null; jira_id: string | null; reward: number; business_day: string } | null

export const mostExpensiveSql = `SELECT c.task_id, t.title, t.jira_id, c.reward, c.business_day FROM completions c LEFT JOIN tasks t ON t.task_id = c.task_id
  WHERE c.business_day BETWEEN ? AND ? ORDER BY c.reward DESC, c.applied_at, c.task_id LIMIT 1`

/** The completed task with the highest reward in [from, to]; ties go to the earliest completion. */
export function mostExpensive(store: Store<DB>, from: string, to: string): Expensive {
  return (store.prepare(mostExpensiveSql).get(from, to) as Expensive | undefined) ?? null
}
