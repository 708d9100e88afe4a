// Query parameters of analytics' HTTP API (SPEC §4).
import Type, { type Static } from 'typebox'
import { Day } from './billing.ts'

export const DaysQuery = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false })
export type DaysQuery = Static<typeof DaysQuery>

export const MostExpensiveQuery = Type.Object(
  { period: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]), date: Type.Optional(Day) },
  { additionalProperties: false },
)
export type MostExpensiveQuery = Static<typeof MostExpensiveQuery>
