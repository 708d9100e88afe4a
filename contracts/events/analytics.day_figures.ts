import Type from 'typebox'
import { BusinessDay, Cents } from '../common.ts'

/**
 * What analytics shows for a closed business day: the management earnings it summed from the
 * day's ledger entries itself, and how many employees were below zero at the close (as the
 * close reported them, which analytics' dashboard shows). Emitted when analytics handles the
 * billing.day_closed, and again whenever an entry of that day reaches analytics after it: the
 * latest one stands.
 */
export const AnalyticsDayFiguresV1 = Type.Object(
  {
    business_day: BusinessDay,
    management_earnings: Cents,
    accounts_negative: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
