// close's copy of accounts on a real SQLite file: snapshots applied out of order leave the newest.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { test } from 'node:test'
import { type Envelope, makeEnvelope } from '../../contracts/envelope.ts'
import { openStore } from '../runtime/store.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { accountHandlers } from './accounts.ts'
import { type DB, migrations } from './store.ts'

test('an older snapshot arriving after a newer one does not bring back the old name or address', () => {
  const dir = tempDir()
  const store = openStore<DB>(join(dir.path, 'close.sqlite'), migrations)
  const handlers = accountHandlers(store)
  const id = randomUUID()
  const snapshot = (name: 'accounts.created' | 'accounts.updated', at: string, who: string) =>
    makeEnvelope({
      name,
      data: { account_id: id, name: who, email: `${who.toLowerCase().replaceAll(' ', '.')}@ates.test`, role: 'popug', active: true },
      eventId: randomUUID(),
      time: new Date(at),
      producer: 'auth',
    }).envelope
  const created = snapshot('accounts.created', '2026-11-20T10:00:00Z', 'Pip') as Envelope<'accounts.created'>
  const renamed = snapshot('accounts.updated', '2026-11-20T11:00:00Z', 'Pipa') as Envelope<'accounts.updated'>

  store.tx(() => handlers['accounts.updated']!(renamed))
  store.tx(() => handlers['accounts.created']!(created))
  const row = () => store.first(store.db.selectFrom('accounts').select(['name', 'email']).where('account_id', '=', id))
  assert.deepEqual(row(), { name: 'Pipa', email: 'pipa@ates.test' })

  const later = snapshot('accounts.updated', '2026-11-20T12:00:00Z', 'Pip the Second') as Envelope<'accounts.updated'>
  store.tx(() => handlers['accounts.updated']!(later))
  assert.deepEqual(row(), { name: 'Pip the Second', email: 'pip.the.second@ates.test' })
  store.close()
  dir.remove()
})
