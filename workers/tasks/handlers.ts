// The replica of accounts that tasks draws assignees from: accounts.* events carry the full
// snapshot, so each one is an upsert; an older snapshot never overwrites a newer one.
import type { Handlers } from '../runtime/consumer.ts'
import { type Assignable, isEligible } from './domain.ts'
import type { Ctx } from './commands.ts'
import { accountsChanged } from './store.ts'

export function accountHandlers(ctx: Ctx): Handlers {
  const upsert = ctx.store.prepare(
    `INSERT INTO accounts (account_id, name, role, active, eligible, as_of) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, role = excluded.role,
       active = excluded.active, eligible = excluded.eligible, as_of = excluded.as_of
     WHERE excluded.as_of >= accounts.as_of`,
  )
  const apply = (account: Assignable & { name: string }, asOf: string) => {
    upsert.run(account.account_id, account.name, account.role, account.active ? 1 : 0, isEligible(account) ? 1 : 0, asOf)
    accountsChanged(ctx.store)
  }
  return {
    'accounts.created': (event) => apply(event.data, event.event_time),
    'accounts.updated': (event) => apply(event.data, event.event_time),
  }
}
