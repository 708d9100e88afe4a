// Each account's ledger as billing wrote it: a chain from zero in which every entry's
// balance_after is the previous balance plus its credit minus its debit. Streams may hold
// entries out of commit order (a republish after a broker failure), so the chain is
// rebuilt from the balances themselves, preferring the order of applied_at and the stream.
import type { EventData } from '../../contracts/registry.ts'

export type Entry = EventData<'billing.transaction_applied'>

export function ledgerChains(entries: readonly Entry[], differences: string[]): Map<string, Entry[]> {
  const byAccount = new Map<string, Entry[]>()
  for (const entry of entries) {
    const list = byAccount.get(entry.account_id)
    if (list) list.push(entry)
    else byAccount.set(entry.account_id, [entry])
  }
  const chains = new Map<string, Entry[]>()
  for (const [account, list] of byAccount) {
    // A stable sort: equal times keep their stream order.
    const remaining = [...list].sort((a, b) => (a.applied_at < b.applied_at ? -1 : a.applied_at > b.applied_at ? 1 : 0))
    const chain: Entry[] = []
    let balance = 0
    while (remaining.length > 0) {
      let next = remaining.findIndex((e) => e.balance_after === balance + e.credit - e.debit)
      if (next < 0) {
        const e = remaining[0]!
        differences.push(
          `account ${account.slice(0, 8)}: ${e.kind} ${e.transaction_id.slice(0, 8)} says the balance became ${e.balance_after}, but ${balance} ${e.credit ? '+' : '−'} ${e.credit || e.debit} is ${balance + e.credit - e.debit}`,
        )
        next = 0
      }
      const [entry] = remaining.splice(next, 1)
      chain.push(entry!)
      balance = entry!.balance_after
    }
    chains.set(account, chain)
  }
  return chains
}
