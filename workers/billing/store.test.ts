import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { openStore } from '../runtime/store.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { accountDaySql, amountsByDay, amountsSql, calendarOf, type DB, dropEntryIndexes, entryIndexes, insertOpenDay, markClosed, migrations } from './store.ts'

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

test("a ledger from before billing_005 gets the day's amounts index in the order entries are written, its sums the same", () => {
  const dir = tempDir()
  const file = join(dir.path, 'billing.sqlite')
  const columns = (store: ReturnType<typeof openStore<DB>>) => store.sqlite.prepare("SELECT name FROM pragma_index_info('entries_day_amounts') ORDER BY seqno").pluck().all()
  try {
    const old = openStore<DB>(file, migrations.slice(0, 4))
    const insert = old.prepare(
      `INSERT INTO entries (transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at)
       VALUES (?, 'a1', ?, ?, ?, NULL, '2026-11-25', 0, '2026-11-25T10:00:00.000Z')`,
    )
    insert.run('t1', 'assign_fee', 1500, 0)
    insert.run('t2', 'completion_reward', 0, 3000)
    insert.run('t3', 'assign_fee', 1100, 0)
    assert.deepEqual(columns(old), ['business_day', 'kind', 'debit', 'credit'])
    old.close()
    const store = openStore<DB>(file, migrations)
    assert.deepEqual(columns(store), ['business_day', 'kind', 'seq', 'debit', 'credit'])
    assert.deepEqual([...amountsByDay(store, '2026-11-25', '2026-11-25')], [['2026-11-25', { fees: 2600, rewards: 3000 }]])
    store.close()
  } finally {
    dir.remove()
  }
})

test('a ledger whose restore was cut short before billing_005, its indexes dropped, gets them when billing_005 runs', () => {
  const dir = tempDir()
  const file = join(dir.path, 'billing.sqlite')
  try {
    const old = openStore<DB>(file, migrations.slice(0, 4))
    old.exec(dropEntryIndexes)
    assert.deepEqual(indexes(old), [])
    old.close()
    const store = openStore<DB>(file, migrations)
    assert.deepEqual(indexes(store), ['entries_day_amounts'])
    for (const index of entryIndexes) store.exec(index)
    assert.deepEqual(indexes(store), ['entries_account_day', 'entries_day_amounts'])
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

test('the calendar kept between reads follows every opened and closed day, and forgets what a rollback undid', () => {
  const store = openStore<DB>(':memory:', migrations)
  const summary = { accounts_paid: 0, total_paid: 0, management_earnings: 0, accounts_negative: 0 }
  assert.deepEqual(calendarOf(store), { currentDay: undefined, lastClosed: undefined, firstDay: undefined })
  insertOpenDay(store, '2026-11-25')
  assert.deepEqual(calendarOf(store), { currentDay: '2026-11-25', lastClosed: undefined, firstDay: '2026-11-25' })
  // A day opened, seen, and rolled back with its transaction: never opened.
  assert.throws(() =>
    store.tx(() => {
      insertOpenDay(store, '2026-11-26')
      assert.equal(calendarOf(store).currentDay, '2026-11-26')
      throw new Error('the batch fails')
    }),
  )
  assert.equal(calendarOf(store).currentDay, '2026-11-25')
  // The same in a savepoint whose transaction goes on and commits something else.
  store.tx(() => {
    try {
      store.tx(() => {
        markClosed(store, { business_day: '2026-11-25', ...summary }, '2026-11-25T20:00:00.000Z')
        insertOpenDay(store, '2026-11-26')
        assert.deepEqual(calendarOf(store), { currentDay: '2026-11-26', lastClosed: '2026-11-25', firstDay: '2026-11-25' })
        throw new Error('this event fails')
      })
    } catch {
      // its savepoint is rolled back; the batch goes on
    }
    assert.deepEqual(calendarOf(store), { currentDay: '2026-11-25', lastClosed: undefined, firstDay: '2026-11-25' })
  })
  markClosed(store, { business_day: '2026-11-25', ...summary }, '2026-11-25T20:00:00.000Z')
  insertOpenDay(store, '2026-11-26')
  assert.deepEqual(calendarOf(store), { currentDay: '2026-11-26', lastClosed: '2026-11-25', firstDay: '2026-11-25' })
  store.close()
})
