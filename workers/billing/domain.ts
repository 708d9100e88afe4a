// billing's rules, pure: prices, what each event does to the ledger, the business day and
// its close. Randomness comes in as a function; no I/O here.
import { nextDay } from '../runtime/days.ts'

export const FEE = { min: 10, max: 20 } // whole dollars
export const REWARD = { min: 20, max: 40 }

/** A uniformly random whole-dollar amount in [min, max], in cents. */
export function drawDollars(range: { min: number; max: number }, random: () => number): number {
  const span = range.max - range.min + 1
  return (range.min + Math.min(span - 1, Math.floor(random() * span))) * 100
}

export type Price = { assign_fee: number; completion_reward: number }

export function drawPrice(random: () => number): Price {
  return { assign_fee: drawDollars(FEE, random), completion_reward: drawDollars(REWARD, random) }
}

export type Kind = 'assign_fee' | 'completion_reward' | 'payout'

export type Entry = {
  transaction_id: string
  account_id: string
  kind: Kind
  debit: number
  credit: number
  task_id: string | null
  business_day: string
}

/** The entry an assignment or a completion makes (SPEC B2, B3). */
export function entryFor(
  kind: 'assign_fee' | 'completion_reward',
  input: { transaction_id: string; account_id: string; task_id: string; price: Price; business_day: string },
): Entry {
  const fee = kind === 'assign_fee'
  return {
    transaction_id: input.transaction_id,
    account_id: input.account_id,
    kind,
    debit: fee ? input.price.assign_fee : 0,
    credit: fee ? 0 : input.price.completion_reward,
    task_id: input.task_id,
    business_day: input.business_day,
  }
}


/** What a close request for `requested` does while `open` is the open business day. */
export function closeDecision(requested: string, open: string): { close: false } | { close: true; day: string; next: string } {
  if (requested < open) return { close: false }
  return { close: true, day: open, next: nextDay(open) }
}

export type Payout = { account_id: string; amount: number }

/** Every positive balance is paid out in full; zero and negative balances stay (SPEC B6). */
export function payouts(balances: ReadonlyArray<{ account_id: string; balance: number }>): Payout[] {
  return balances.filter((b) => b.balance > 0).map((b) => ({ account_id: b.account_id, amount: b.balance }))
}

/** Management earnings of a day: fees debited minus rewards credited (SPEC B8). */
export function managementEarnings(entries: ReadonlyArray<Pick<Entry, 'kind' | 'debit' | 'credit'>>): number {
  let sum = 0
  for (const e of entries) {
    if (e.kind === 'assign_fee') sum += e.debit
    else if (e.kind === 'completion_reward') sum -= e.credit
  }
  return sum
}

/** What an account earned in a day: its credits minus debits, payouts left out. */
export function earned(entries: ReadonlyArray<Pick<Entry, 'kind' | 'debit' | 'credit'>>): number {
  return entries.filter((e) => e.kind !== 'payout').reduce((sum, e) => sum + e.credit - e.debit, 0)
}
