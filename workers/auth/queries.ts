// What auth's API and pages read: one account, every account, whether a token still counts.
import { type Access, staleness } from '../runtime/access.ts'
import type { Ctx } from '../runtime/worker.ts'
import type { Account } from './domain.ts'
import { type DB, findById, listAccounts, toAccount } from './store.ts'

export function accountOf(ctx: Ctx<DB>, id: string): Account | undefined {
  const row = findById(ctx.store, id)
  return row && toAccount(row)
}

export function allAccounts(ctx: Ctx<DB>): Account[] {
  return listAccounts(ctx.store)
}

/** auth's Access: the token's account as auth's own row has it, this very moment. */
export function accountAccess(ctx: Ctx<DB>): Access {
  return (token) => {
    const row = findById(ctx.store, token.id)
    if (!row) return 'no such account'
    return staleness(token, { role: row.role, active: row.active === 1, changedAt: row.access_changed_at })
  }
}
