import Type from 'typebox'
import { BusinessDay, Uuid } from '../common.ts'

/**
 * Billing's answer to a close request it did not carry out: the day was closed already, or it
 * has not begun yet. Carries billing's open day, so the asker learns where the calendar stands.
 */
export const BillingDayCloseRefusedV1 = Type.Object(
  {
    business_day: BusinessDay,
    reason: Type.Union([Type.Literal('already_closed'), Type.Literal('not_begun')]),
    open_day: BusinessDay,
    request_event_id: Uuid,
  },
  { additionalProperties: false },
)
