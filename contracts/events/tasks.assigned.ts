import Type from 'typebox'
import { Timestamp, Uuid } from '../common.ts'

export const TasksAssignedV1 = Type.Object(
  {
    task_id: Uuid,
    assignee_id: Uuid,
    previous_assignee_id: Type.Union([Uuid, Type.Null()]),
    assigned_at: Timestamp,
  },
  { additionalProperties: false },
)
