import Type from 'typebox'
import { Timestamp, Uuid } from '../common.ts'

export const TasksCompletedV1 = Type.Object(
  {
    task_id: Uuid,
    assignee_id: Uuid,
    completed_at: Timestamp,
  },
  { additionalProperties: false },
)
