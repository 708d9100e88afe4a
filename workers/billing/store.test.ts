import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { openStore } from '../runtime/store.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { accountDaySql, amountsByDay, amountsSql, type DB, migrations } from './store.ts'

const indexes = (store: ReturnType<typeof openStore<DB>>) =>
  store.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' AND sql IS NOT NULL ORDER BY name").pluck().all()

test("a ledger from before billing_002 gets the day's amounts index in place of the old one, its entries kept", () => {
  const dir = tempDir()
  const file = join(dir.path, 'billing.sqlite')
  try {
    const old = openStore<DB>(file, migrations.slice(0, 1))
    old.prepare(
      `INSERT INTO entries (transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at)
       VALUES ('t1', 'a1', 'assign_fee', 1500, 0, 'task', '2026-11-25', -1500, '2026-11-25T10:00:00.000Z')`,
    ).run()
    assert.deepEqual(indexes(old), ['entries_account_day', 'entries_day'])
    old.close()
    const store = openStore<DB>(file, migrations)
    assert.deepEqual(indexes(store), ['entries_account_day', 'entries_day_amounts'])
    assert.deepEqual([...amountsByDay(store, '2026-11-25', '2026-11-25')], [['2026-11-25', { fees: 1500, rewards: 0 }]])
    store.close()
  } finally {
    dir.remove()
  }
})

test("a day's amounts are summed from the index alone, never from the entries it points to", () => {
  const dir = tempDir()
  const store = openStore<DB>(join(dir.path, 'billing.sqlite'), migrations)
  try {
    for (const [name, sql] of Object.entries(amountsSql)) {
      const parameters = name === 'amountsByDay' ? ['2026-11-19', '2026-11-25'] : ['2026-11-25']
      const plan = (store.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((r) => r.detail)
      assert.ok(plan.some((step) => step.includes('USING COVERING INDEX entries_day_amounts')), `${name}: ${plan.join('; ')}`)
    }
  } finally {
    store.close()
    dir.remove()
  }
})

test("an account's day is read through the account's index, never through every entry of the day", () => {
  const dir = tempDir()
  const store = openStore<DB>(join(dir.path, 'billing.sqlite'), migrations)
  try {
    for (const [name, sql] of Object.entries(accountDaySql)) {
      const plan = (store.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('a1', '2026-11-25') as Array<{ detail: string }>).map((r) => r.detail)
      assert.ok(plan.some((step) => step.includes('USING INDEX entries_account_day (account_id=? AND business_day=?')), `${name}: ${plan.join('; ')}`)
    }
  } finally {
    store.close()
    dir.remove()
  }
})
