import Type from 'typebox'
import { JiraId, TASK_LIMITS, Timestamp, Uuid } from '../common.ts'

/** v1: the title may still carry a leading jira id, e.g. "[UBERPOP-42] Fix the beak". */
export const TasksCreatedV1 = Type.Object(
  {
    task_id: Uuid,
    title: Type.String({ minLength: 1, maxLength: 500 }),
    description: Type.String({ maxLength: 10000 }),
    assignee_id: Uuid,
    created_at: Timestamp,
  },
  { additionalProperties: false },
)

/** v2: the jira id is its own field and the title never holds one. */
export const TasksCreatedV2 = Type.Object(
  {
    task_id: Uuid,
    title: Type.String({ minLength: 1, maxLength: TASK_LIMITS.title }),
    jira_id: Type.Union([JiraId, Type.Null()]),
    description: Type.String({ maxLength: TASK_LIMITS.description }),
    assignee_id: Uuid,
    created_at: Timestamp,
  },
  { additionalProperties: false },
)
