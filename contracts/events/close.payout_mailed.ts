import Type from 'typebox'
import { BusinessDay, NonNegativeCents, Timestamp, Uuid } from '../common.ts'

/** close sent the payout's e-mail: a close instance taking over sends it not again. */
export const ClosePayoutMailedV1 = Type.Object(
  {
    transaction_id: Uuid,
    account_id: Uuid,
    business_day: BusinessDay,
    amount: NonNegativeCents,
    sent_at: Timestamp,
  },
  { additionalProperties: false },
)
