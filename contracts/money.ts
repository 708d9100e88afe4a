// What the money events mean, for every worker that reads them.

/** Prices are whole dollars drawn from these ranges (SPEC B4). */
export const FEE_DOLLARS = { min: 10, max: 20 }
export const REWARD_DOLLARS = { min: 20, max: 40 }

export type EntryKind = 'assign_fee' | 'completion_reward' | 'payout'

/** A day's fees debited and rewards credited, in cents (payouts count for neither). */
export type DayAmounts = { fees: number; rewards: number }

/** The fee or reward an entry adds to its day's amounts; a payout adds nothing. */
export function amountsOf(entry: { kind: EntryKind; debit: number; credit: number }): DayAmounts {
  if (entry.kind === 'assign_fee') return { fees: entry.debit, rewards: 0 }
  if (entry.kind === 'completion_reward') return { fees: 0, rewards: entry.credit }
  return { fees: 0, rewards: 0 }
}

/**
 * What top management earned (SPEC B5): (Σ rewards credited + Σ fees debited, signed as the
 * employees see them) × −1, i.e. fees debited minus rewards credited.
 */
export function managementEarnings(amounts: DayAmounts): number {
  return amounts.fees - amounts.rewards
}
