import Type from 'typebox'
import { BusinessDay, Timestamp } from '../common.ts'

/**
 * Billing opened a business day: from now on it stamps ledger entries with it. `time_zone` is
 * the zone billing's calendar runs in (ATES_TZ); `reason` says why the day opened: billing's
 * first day, the calendar reaching it at midnight, or an early close of the day before.
 */
export const BillingDayOpenedV1 = Type.Object(
  {
    business_day: BusinessDay,
    time_zone: Type.String({ minLength: 1, maxLength: 64 }),
    reason: Type.Union([Type.Literal('first_day'), Type.Literal('calendar'), Type.Literal('early_close')]),
    opened_at: Timestamp,
  },
  { additionalProperties: false },
)
