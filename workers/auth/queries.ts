// What auth's API and pages read: one account, every account.
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
