// Request bodies and query parameters of tasks' HTTP API (SPEC §4).
import Type, { type Static } from 'typebox'
import { RAW_TITLE_MAX, TASK_LIMITS } from '../common.ts'

export const CreateTaskBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: RAW_TITLE_MAX }),
    jira_id: Type.Optional(Type.Union([Type.String({ maxLength: TASK_LIMITS.jiraId }), Type.Null()])),
    description: Type.Optional(Type.String({ maxLength: TASK_LIMITS.description })),
  },
  { additionalProperties: false },
)
export type CreateTaskBody = Static<typeof CreateTaskBody>

export const ListTasksQuery = Type.Object(
  {
    assignee: Type.Optional(Type.Union([Type.Literal('me'), Type.String({ format: 'uuid' })])),
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('completed')])),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' })),
    /** Opaque: the next_cursor of the previous page. */
    cursor: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
  },
  { additionalProperties: false },
)
export type ListTasksQuery = Static<typeof ListTasksQuery>
