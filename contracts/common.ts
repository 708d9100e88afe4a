import Type from 'typebox'
// Registers the cheaper uuid and date-time checks before any schema using them is compiled.
import './formats.ts'

// Shared building blocks of the event and HTTP contracts.

export const Uuid = Type.String({ format: 'uuid' })
export const Timestamp = Type.String({ format: 'date-time' })
/** A calendar day in the business time zone, e.g. 2026-11-23. */
export const BusinessDay = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })
/** Money is always a whole number of cents. */
export const Cents = Type.Integer()
export const NonNegativeCents = Type.Integer({ minimum: 0 })
/** How long a task's parts may be, wherever a task is written or carried (SPEC T4, T7). */
export const TASK_LIMITS = {
  /** A stored title, without its jira id. */
  title: 200,
  jiraId: 64,
  description: 5000,
} as const
/** A title as typed, which may still start with its jira id: "[UBERPOP-42] — " and the title. */
export const RAW_TITLE_MAX = TASK_LIMITS.title + TASK_LIMITS.jiraId + 8
export const JIRA_ID_PATTERN = '^[A-Z][A-Z0-9_]*-[0-9]+$'
export const JiraId = Type.String({ pattern: JIRA_ID_PATTERN, maxLength: TASK_LIMITS.jiraId })

export const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('manager'),
  Type.Literal('accountant'),
  Type.Literal('popug'),
])

export const WorkerName = Type.Union([
  Type.Literal('auth'),
  Type.Literal('tasks'),
  Type.Literal('billing'),
  Type.Literal('close'),
  Type.Literal('analytics'),
  Type.Literal('audit'),
])
