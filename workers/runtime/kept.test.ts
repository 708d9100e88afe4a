// Answers kept until the database changes: each row changed drops them all.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { KeptAnswers } from './kept.ts'
import { openStore } from './store.ts'
import { tempDir } from './testing/helpers.ts'

const dir = tempDir()
after(() => dir.remove())

function rows(name: string, maxBytes?: number) {
  const store = openStore<unknown>(join(dir.path, `${name}.sqlite`), [{ name: '001_rows', up: 'CREATE TABLE rows (id INTEGER PRIMARY KEY, text TEXT)' }])
  const kept = new KeptAnswers(store, maxBytes)
  let reads = 0
  const list = (key = 'all') =>
    kept.answer(key, () => {
      reads++
      return JSON.stringify(store.prepare('SELECT id, text FROM rows ORDER BY id').all())
    })
  return { store, kept, list, reads: () => reads }
}

test('an answer is read once while nothing changes, and again after each insert, update and delete', () => {
  const { store, list, reads } = rows('own')
  store.prepare("INSERT INTO rows VALUES (1, 'a')").run()
  assert.equal(list(), '[{"id":1,"text":"a"}]')
  assert.equal(list(), '[{"id":1,"text":"a"}]')
  assert.equal(reads(), 1)
  store.prepare("UPDATE rows SET text = 'b' WHERE id = 1").run()
  assert.equal(list(), '[{"id":1,"text":"b"}]')
  store.tx(() => store.prepare("INSERT INTO rows VALUES (2, 'c')").run())
  assert.equal(list(), '[{"id":1,"text":"b"},{"id":2,"text":"c"}]')
  // Emptied whole (SQLite's truncation counts its rows too).
  store.prepare('DELETE FROM rows').run()
  assert.equal(list(), '[]')
  assert.equal(reads(), 4)
  store.close()
})

test('an answer read inside a transaction is not kept: the transaction may still roll back', () => {
  const { store, list, kept } = rows('rolled-back')
  assert.throws(() =>
    store.tx(() => {
      store.prepare("INSERT INTO rows VALUES (1, 'never')").run()
      assert.equal(list(), '[{"id":1,"text":"never"}]')
      throw new Error('rolled back')
    }),
  )
  assert.equal(kept.size, 0)
  assert.equal(list(), '[]')
})

test('answers are kept by key, the oldest dropped past the byte bound, one over it never kept', () => {
  const { store, list, kept, reads } = rows('bounded', 100)
  store.prepare('INSERT INTO rows VALUES (1, ?)').run('x'.repeat(10))
  list('a')
  list('b')
  list('c')
  assert.equal(kept.size, 3)
  assert.equal(reads(), 3)
  // Each answer is 28 characters: a fourth passes 100, so the oldest ('a') goes.
  list('d')
  assert.equal(kept.size, 3)
  list('b')
  assert.equal(reads(), 4)
  list('a')
  assert.equal(reads(), 5)
  store.prepare('UPDATE rows SET text = ? WHERE id = 1').run('x'.repeat(200))
  list('big')
  list('big')
  assert.equal(reads(), 7)
  assert.equal(kept.size, 0)
  store.close()
})
