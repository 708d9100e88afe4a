// The lists that grow are read a page at a time: following next_cursor from the first page reads
// every row once, in the list's order, and a cursor this API did not give out is refused.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { accountsPage } from './auth/queries.ts'
import { accountsPageSql, insertAccount, migrations as authMigrations } from './auth/store.ts'
import { accountDay, balancesPage } from './billing/queries.ts'
import { balancesPageSql, insertEntry, insertOpenDay, migrations as billingMigrations, saveAccount, setBalance } from './billing/store.ts'
import { closesPage } from './close/queries.ts'
import { migrations as closeMigrations, saveClosed, saveRequest } from './close/store.ts'
import { encodeKeyCursor } from './runtime/cursor.ts'
import { testContext } from './runtime/testing/context.ts'
import type { Ctx } from './runtime/worker.ts'

/** Every page from the first, `limit` rows each: the rows, and how many pages it took. */
function readAll<T>(page: (cursor: string | undefined) => { rows: T[]; next: string | null } | undefined, limit: number): { rows: T[]; pages: number } {
  const rows: T[] = []
  let cursor: string | undefined
  let pages = 0
  for (;;) {
    const read = page(cursor)
    assert.ok(read, 'a cursor the API gave out is taken back')
    assert.ok(read.rows.length <= limit)
    rows.push(...read.rows)
    pages++
    if (read.next === null) return { rows, pages }
    assert.equal(read.rows.length, limit, 'only the last page is short')
    cursor = read.next
  }
}

test("auth's accounts: in the order they were created, each once", () => {
  const ctx = testContext('auth', authMigrations)
  const emails = Array.from({ length: 7 }, (_, i) => `popug-${i}@ates.test`)
  // Two accounts created in the same millisecond are told apart by their email.
  emails.forEach((email, i) => insertAccount(ctx.store, { account_id: randomUUID(), name: `Popug ${i}`, email, role: 'popug', active: true }, 'hash', new Date(`2026-11-25T10:00:0${Math.floor(i / 2)}.000Z`)))
  const read = readAll((cursor) => {
    const page = accountsPage(ctx, { limit: 3, cursor })
    return page && { rows: page.accounts, next: page.next_cursor }
  }, 3)
  assert.deepEqual(read.rows.map((a) => a.email), emails)
  assert.equal(read.pages, 3)
  assert.equal(accountsPage(ctx, { limit: 3, cursor: 'bm90LWEtY3Vyc29y' }), undefined)
  assert.equal(accountsPage(ctx, { limit: 3, cursor: encodeKeyCursor([42]) }), undefined, 'a cursor of another list is refused')
  assert.equal(accountsPage(ctx, { limit: 50 })!.next_cursor, null)
})

test("billing's accounts: by name, each once with its balance, nameless ones first", () => {
  const ctx = testContext('billing', billingMigrations)
  const names = ['Pip', 'Kesha', 'Arno', 'Mila', 'Gosha', 'Zoe']
  for (const [i, name] of names.entries()) {
    const id = randomUUID()
    saveAccount(ctx.store, { account_id: id, name, email: `${name.toLowerCase()}@ates.test`, role: 'popug' }, '2026-11-25T10:00:00.000Z')
    setBalance(ctx.store, id, i * 100)
  }
  // An entry that came before its account's event: a placeholder without a name.
  ctx.store.prepare('INSERT INTO accounts (account_id) VALUES (?)').run(randomUUID())
  insertOpenDay(ctx.store, '2026-11-25')
  const read = readAll((cursor) => {
    const page = balancesPage(ctx, { limit: 2, cursor })
    return page && { rows: page.accounts, next: page.next_cursor }
  }, 2)
  assert.deepEqual(read.rows.map((a) => a.name), [null, ...names.toSorted()])
  assert.equal(read.rows.find((a) => a.name === 'Zoe')!.balance, 500)
  assert.equal(balancesPage(ctx, { limit: 2, cursor: 'bm90LWEtY3Vyc29y' }), undefined)
})

test("billing's account day: entries in the order applied, a page at a time; balance and earned are the whole day's", () => {
  const ctx = testContext('billing', billingMigrations)
  const account = randomUUID()
  const other = randomUUID()
  insertOpenDay(ctx.store, '2026-11-25')
  let balance = 0
  const entry = (accountId: string, kind: 'assign_fee' | 'completion_reward' | 'payout', debit: number, credit: number, day = '2026-11-25') => {
    if (accountId === account && day === '2026-11-25') balance += credit - debit
    insertEntry(ctx.store, { transaction_id: randomUUID(), account_id: accountId, kind, debit, credit, task_id: null, business_day: day, balance_after: balance, applied_at: `${day}T10:00:00.000Z` })
  }
  entry(account, 'assign_fee', 1000, 0, '2026-11-24')
  for (let i = 0; i < 5; i++) {
    entry(account, 'assign_fee', 1500, 0)
    entry(other, 'assign_fee', 1200, 0)
    entry(account, 'completion_reward', 0, 3000)
  }
  entry(account, 'payout', 7500, 0)
  setBalance(ctx.store, account, balance)
  const whole = accountDay(ctx, account, { day: '2026-11-25' })!
  assert.equal(whole.entries.length, 11)
  assert.equal(whole.next_cursor, null)
  const read = readAll((cursor) => {
    const page = accountDay(ctx, account, { day: '2026-11-25', limit: 4, cursor })
    if (page) {
      assert.equal(page.earned, 5 * 3000 - 5 * 1500, 'earned: the whole day, payouts left out')
      assert.equal(page.balance, balance)
    }
    return page && { rows: page.entries, next: page.next_cursor }
  }, 4)
  assert.equal(read.pages, 3)
  assert.deepEqual(read.rows, whole.entries)
  assert.deepEqual(accountDay(ctx, account, { day: '2026-11-24', limit: 50 })!.entries.map((e) => e.debit), [1000])
  assert.equal(accountDay(ctx, account, { limit: 4, cursor: encodeKeyCursor(['x']) }), undefined)
})

test("close's closes: newest first, each once, with the calendar on every page", () => {
  const ctx = testContext('close', closeMigrations, { now: () => new Date('2026-11-30T12:00:00.000Z') })
  const days = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24']
  for (const day of days) {
    saveRequest(ctx.store, { business_day: day, at: `${day}T23:59:59.000Z`, by: 'schedule', attempts: 1, request_event_id: randomUUID(), next_attempt_at: `${day}T23:59:59.000Z` })
    saveClosed(ctx.store, { business_day: day, accounts_paid: 1, total_paid: 100, management_earnings: 50 }, `${day}T23:59:59.500Z`)
  }
  const read = readAll((cursor) => {
    const page = closesPage(ctx, { limit: 2, cursor })
    if (page) assert.ok('overdue_seconds' in page && 'open_day' in page)
    return page && { rows: page.closes, next: page.next_cursor }
  }, 2)
  assert.deepEqual(read.rows.map((c) => c.business_day), days.toReversed())
  assert.ok(read.rows.every((c) => c.state === 'closed'))
  assert.equal(closesPage(ctx, { limit: 2, cursor: encodeKeyCursor([7]) }), undefined)
})

test('a later page of accounts seeks where it starts in an index, instead of reading the pages before it', () => {
  const plan = (ctx: Ctx<unknown>, sql: string, ...parameters: unknown[]) =>
    (ctx.store.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((r) => r.detail).join('; ')
  const auth = testContext('auth', authMigrations) as Ctx<unknown>
  assert.match(plan(auth, `${accountsPageSql.after} LIMIT 3`, '2026-11-25', 'a@ates.test'), /SEARCH accounts USING INDEX accounts_created/)
  const billing = testContext('billing', billingMigrations) as Ctx<unknown>
  assert.match(plan(billing, `${balancesPageSql.after} LIMIT 3`, 'Kesha', 'Kesha', randomUUID()), /SEARCH a USING INDEX accounts_by_name/)
  assert.match(plan(billing, `${balancesPageSql.first} LIMIT 3`), /SCAN a USING INDEX accounts_by_name/, 'the first page reads the index in order, no sort')
})
