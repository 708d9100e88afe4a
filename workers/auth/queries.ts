// What auth's API and pages read: one account, every account, a page of accounts, whether a
// token still counts.
import type { AccountPage } from '../../contracts/http/auth.ts'
import { type Access, staleness } from '../runtime/access.ts'
import { decodeKeyCursor, pageOf } from '../runtime/cursor.ts'
import type { Ctx } from '../runtime/worker.ts'
import type { Account } from './domain.ts'
import { accountsAfter, type DB, findById, listAccounts, toAccount } from './store.ts'

export function accountOf(ctx: Ctx<DB>, id: string): Account | undefined {
  const row = findById(ctx.store, id)
  return row && toAccount(row)
}

export function allAccounts(ctx: Ctx<DB>): Account[] {
  return listAccounts(ctx.store)
}

/** Accounts in the order they were created, a page at a time; undefined when the cursor is not one this API gave out. */
export function accountsPage(ctx: Ctx<DB>, page: { limit: number; cursor?: string | undefined }): AccountPage | undefined {
  let after: [string, string] | undefined
  if (page.cursor !== undefined) {
    after = decodeKeyCursor<[string, string]>(page.cursor, ['string', 'string'])
    if (!after) return undefined
  }
  const { rows, next } = pageOf(accountsAfter(ctx.store, page.limit, after), page.limit, (row) => [row.created_at, row.email])
  return { accounts: rows.map(toAccount), next_cursor: next }
}

/** auth's Access: the token's account as auth's own row has it, this very moment. */
export function accountAccess(ctx: Ctx<DB>): Access {
  return (token) => {
    const row = findById(ctx.store, token.id)
    if (!row) return 'no such account'
    return staleness(token, { role: row.role, active: row.active === 1, changedAt: row.access_changed_at })
  }
}
