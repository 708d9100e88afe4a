// close's copy of accounts, for the names and addresses of payout e-mails. The newest
// snapshot wins: an event redelivered after a crash may arrive behind a newer one.
import type { Handlers } from '../runtime/consumer.ts'
import type { Store } from '../runtime/store.ts'
import type { DB } from './store.ts'

export function accountHandlers(store: Store<DB>): Handlers {
  const upsert = store.prepare(
    `INSERT INTO accounts (account_id, name, email, as_of) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, email = excluded.email, as_of = excluded.as_of
     WHERE accounts.as_of IS NULL OR excluded.as_of >= accounts.as_of`,
  )
  const snapshot = (a: { account_id: string; name: string; email: string }, at: string) => void upsert.run(a.account_id, a.name, a.email, at)
  return {
    'accounts.created': (e) => snapshot(e.data, e.event_time),
    'accounts.updated': (e) => snapshot(e.data, e.event_time),
  }
}
