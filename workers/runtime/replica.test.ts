// A replica built from snapshots, on a real SQLite file: snapshots applied out of order leave
// the newest; a placeholder row takes the first snapshot.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { snapshotUpsert } from './replica.ts'
import { openStore } from './store.ts'
import { tempDir } from './testing/helpers.ts'

type DB = { accounts: { account_id: string; name: string | null; email: string | null; as_of: string | null } }

test('an older snapshot arriving after a newer one does not bring back the old name or address', () => {
  const dir = tempDir()
  const store = openStore<DB>(join(dir.path, 'replica.sqlite'), [
    { name: '001', up: 'CREATE TABLE accounts (account_id TEXT PRIMARY KEY, name TEXT, email TEXT, as_of TEXT)' },
  ])
  const upsert = store.prepare(snapshotUpsert('accounts', 'account_id', ['name', 'email']))
  const row = () => store.first(store.db.selectFrom('accounts').select(['name', 'email']).where('account_id', '=', 'a1'))

  upsert.run('a1', 'Pipa', 'pipa@ates.test', '2026-11-20T11:00:00.000Z')
  upsert.run('a1', 'Pip', 'pip@ates.test', '2026-11-20T10:00:00.000Z')
  assert.deepEqual(row(), { name: 'Pipa', email: 'pipa@ates.test' })
  upsert.run('a1', 'Pip the Second', 'pip.the.second@ates.test', '2026-11-20T12:00:00.000Z')
  assert.deepEqual(row(), { name: 'Pip the Second', email: 'pip.the.second@ates.test' })

  store.prepare("INSERT INTO accounts (account_id) VALUES ('a2')").run()
  upsert.run('a2', 'Kesha', 'kesha@ates.test', '2026-11-20T09:00:00.000Z')
  assert.deepEqual(store.first(store.db.selectFrom('accounts').select(['name', 'email']).where('account_id', '=', 'a2')), { name: 'Kesha', email: 'kesha@ates.test' })
  store.close()
  dir.remove()
})
