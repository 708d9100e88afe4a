import Type from 'typebox'
import { BusinessDay, Cents, NonNegativeCents } from '../common.ts'

export const BillingDayClosedV1 = Type.Object(
  {
    business_day: BusinessDay,
    accounts_paid: Type.Integer({ minimum: 0 }),
    total_paid: NonNegativeCents,
    management_earnings: Cents,
    accounts_negative: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
