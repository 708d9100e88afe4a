import Type from 'typebox'
import { BusinessDay, Cents, NonNegativeCents, Timestamp, Uuid } from '../common.ts'

export const TransactionKind = Type.Union([
  Type.Literal('assign_fee'),
  Type.Literal('completion_reward'),
  Type.Literal('payout'),
])

export const BillingTransactionAppliedV1 = Type.Object(
  {
    transaction_id: Uuid,
    account_id: Uuid,
    kind: TransactionKind,
    debit: NonNegativeCents,
    credit: NonNegativeCents,
    task_id: Type.Union([Uuid, Type.Null()]),
    business_day: BusinessDay,
    balance_after: Cents,
    applied_at: Timestamp,
  },
  { additionalProperties: false },
)
