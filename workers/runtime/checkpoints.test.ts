import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { type Checkpoint, FINISH_PAGES } from './checkpoints.ts'
import { openStore } from './store.ts'
import { tempDir } from './testing/helpers.ts'

const dir = tempDir()
after(() => dir.remove())

const PAGE = 4096
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('a database checkpointed on a thread: the thread copies the WAL, the worker finishes it once long, and the WAL starts again instead of growing', async () => {
  const file = join(dir.path, 'busy.sqlite')
  const heard: Checkpoint[] = []
  const store = openStore<unknown>(file, [{ name: '001_rows', up: 'CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID' }], (c) => heard.push(c))
  assert.equal(store.sqlite.pragma('wal_autocheckpoint', { simple: true }), 0, "the worker's commits no longer checkpoint")
  const insert = store.prepare('INSERT INTO rows (id, body) VALUES (?, ?)')
  // Random keys, as a ledger of many accounts: each commit changes pages all over the table.
  let rows = 0
  for (let batch = 0; batch < 600; batch++) {
    store.tx(() => {
      for (let i = 0; i < 50; i++) insert.run(`${Math.random()}-${rows++}`, 'x'.repeat(300))
    })
    await pause(3)
  }
  // Let the thread see the last commits.
  await pause(500)
  const byThread = heard.filter((c) => c.by === 'thread' && c.ok)
  const byWorker = heard.filter((c) => c.by === 'worker' && c.ok)
  assert.ok(byThread.length > 3, `the thread checkpointed (${byThread.length} times)`)
  const copied = heard.reduce((sum, c) => sum + (c.ok ? c.pages : 0), 0)
  assert.ok(copied > 3 * FINISH_PAGES, `${copied} pages copied`)
  assert.ok(byWorker.length > 0, 'the worker finished a long WAL')
  assert.deepEqual(
    heard.filter((c) => !c.ok),
    [],
  )
  // Without the WAL starting again it would hold every page ever written; it holds about
  // FINISH_PAGES and what came in while it was being finished.
  const walPages = statSync(`${file}-wal`).size / PAGE
  assert.ok(walPages < copied / 2, `WAL of ${Math.round(walPages)} pages, ${copied} pages copied`)
  assert.equal(store.prepare('SELECT count(*) FROM rows').pluck().get(), rows)
  assert.equal(store.sqlite.pragma('integrity_check', { simple: true }), 'ok')

  store.close()
  const after = heard.length
  await pause(500)
  assert.equal(heard.length, after, 'a closed store checkpoints no more')
})

test('a database in memory has no WAL to checkpoint and keeps no thread', () => {
  const store = openStore<unknown>(':memory:', [], () => assert.fail('no checkpoint expected'))
  assert.equal(store.checkpoints, undefined)
  store.close()
})
