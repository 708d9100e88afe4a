import Type from 'typebox'
import { BusinessDay, NonNegativeCents, Uuid } from '../common.ts'

export const BillingPayoutMadeV1 = Type.Object(
  {
    account_id: Uuid,
    business_day: BusinessDay,
    amount: NonNegativeCents,
    transaction_id: Uuid,
  },
  { additionalProperties: false },
)
