// Query parameters of billing's HTTP API (SPEC §4).
import Type, { type Static } from 'typebox'

export const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' })

export const DayQuery = Type.Object({ day: Type.Optional(Day) }, { additionalProperties: false })
export type DayQuery = Static<typeof DayQuery>

export const RangeQuery = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false })
export type RangeQuery = Static<typeof RangeQuery>
