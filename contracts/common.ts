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
export const JiraId = Type.String({ pattern: '^[A-Z][A-Z0-9_]*-[0-9]+$', maxLength: 64 })

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
])
