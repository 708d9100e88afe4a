import Type from 'typebox'
import { NonNegativeCents, Uuid } from '../common.ts'

export const BillingTaskPricedV1 = Type.Object(
  {
    task_id: Uuid,
    assign_fee: NonNegativeCents,
    completion_reward: NonNegativeCents,
  },
  { additionalProperties: false },
)
