// The audit's HTTP API: the kinds of difference it reports, and its query parameters.
import Type, { type Static } from 'typebox'

/** Every kind of difference (workers/audit/domain.ts says what each means). */
export const DIFFERENCE_KINDS = [
  'price_missing',
  'price_changed',
  'price_out_of_range',
  'fee_missing',
  'fee_twice',
  'fee_wrong',
  'fee_unexplained',
  'reward_missing',
  'reward_twice',
  'reward_wrong',
  'reward_unexplained',
  'completed_twice',
  'balance_chain',
  'payout_not_balance',
  'payout_twice',
  'payout_unclosed_day',
  'payout_unreported',
  'close_disagrees',
  'closed_twice',
  'balance_unpaid',
  'analytics_missing',
  'analytics_disagrees',
] as const
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number]

export const DifferencesQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union(DIFFERENCE_KINDS.map((kind) => Type.Literal(kind)))),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$' })),
  },
  { additionalProperties: false },
)
export type DifferencesQuery = Static<typeof DifferencesQuery>
