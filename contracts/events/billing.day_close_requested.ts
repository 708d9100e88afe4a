import Type from 'typebox'
import { BusinessDay } from '../common.ts'

/** Command from the close worker to billing: close this business day. */
export const BillingDayCloseRequestedV1 = Type.Object(
  { business_day: BusinessDay },
  { additionalProperties: false },
)
