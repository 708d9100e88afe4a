import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, test } from 'node:test'
import Database from 'better-sqlite3'
import { openStore } from './store.ts'
import { tempDir } from './testing/helpers.ts'

const dir = tempDir()
after(() => dir.remove())

function storeWithRows(name: string) {
  const file = join(dir.path, `${name}.sqlite`)
  const store = openStore<unknown>(file, [{ name: '001_rows', up: 'CREATE TABLE rows (id INTEGER PRIMARY KEY)' }])
  const reader = new Database(file, { readonly: true })
  const insert = (id: number) => store.prepare('INSERT INTO rows (id) VALUES (?)').run(id)
  const seen = (db: { prepare(sql: string): { pluck(): { all(): unknown[] } } }) => db.prepare('SELECT id FROM rows ORDER BY id').pluck().all()
  return { store, reader, insert, seen, close: () => (reader.close(), store.close()) }
}

test('grouped transactions asked for together commit once: each sees the others, another connection sees none until all resolve', async () => {
  const { store, reader, insert, seen, close } = storeWithRows('together')
  const first = store.txGrouped(() => {
    insert(1)
    return 'first'
  })
  const second = store.txGrouped(() => {
    insert(2)
    // Same transaction as the first, not yet committed: visible here, not to another connection.
    return { mine: seen(store.sqlite), theirs: seen(reader) }
  })
  assert.deepEqual(seen(reader), [], 'nothing runs before the event loop turns')
  assert.equal(await first, 'first')
  assert.deepEqual(await second, { mine: [1, 2], theirs: [] })
  assert.deepEqual(seen(reader), [1, 2])
  close()
})

test('a grouped transaction that throws is rolled back alone and rejects; the others commit', async () => {
  const { store, insert, seen, reader, close } = storeWithRows('one-fails')
  const results = await Promise.allSettled([
    store.txGrouped(() => insert(1)),
    store.txGrouped(() => {
      insert(2)
      throw new Error('refused halfway')
    }),
    store.txGrouped(() => insert(3)),
  ])
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  )
  assert.match(String((results[1] as PromiseRejectedResult).reason), /refused halfway/)
  assert.deepEqual(seen(reader), [1, 3])
  // The next group starts afresh.
  await store.txGrouped(() => insert(4))
  assert.deepEqual(seen(reader), [1, 3, 4])
  close()
})

test('when the commit itself fails, every transaction of the group rejects and nothing is kept', async () => {
  const { store, seen, reader, close } = storeWithRows('commit-fails')
  store.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)')
  const results = await Promise.allSettled([
    store.txGrouped(() => store.prepare('INSERT INTO rows (id) VALUES (?)').run(7)),
    // A deferred foreign key is checked at COMMIT: the whole group fails there.
    store.txGrouped(() => store.prepare('INSERT INTO child (parent_id) VALUES (?)').run(42)),
  ])
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  )
  assert.match(String((results[0] as PromiseRejectedResult).reason), /FOREIGN KEY/)
  assert.deepEqual(seen(reader), [])
  assert.equal(store.sqlite.inTransaction, false)
  close()
})

test('a limited statement returns at most its limit of rows, all of them at -1, and is prepared once per limit', () => {
  const { store, insert, close } = storeWithRows('limited')
  try {
    for (let id = 1; id <= 10; id++) insert(id)
    const sql = 'SELECT id FROM rows WHERE id > ? ORDER BY id'
    assert.deepEqual(store.limited(sql, 3).pluck().all(4), [5, 6, 7])
    assert.deepEqual(store.limited(sql, -1).pluck().all(4), [5, 6, 7, 8, 9, 10])
    assert.deepEqual(store.limited(sql, 0).pluck().all(4), [])
    assert.equal(store.limited(sql, 3), store.limited(sql, 3), 'the same statement for the same limit')
    assert.notEqual(store.limited(sql, 3), store.limited(sql, 4))
    for (const bad of [1.5, -2, Number.NaN, 2 ** 60]) assert.throws(() => store.limited(sql, bad), /a limit is a whole number of rows/)
  } finally {
    close()
  }
})
