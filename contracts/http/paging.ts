// Lists that can grow are read a page at a time, the same way on every worker: `limit` (1–200,
// default 50) and `cursor` in, `next_cursor` out (null on the last page).
import Type from 'typebox'
import { Nullable } from './openapi.ts'

export const PAGE_DEFAULT = 50
export const PAGE_MAX = 200

export const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: 'a whole number from 1 to 200 (default 50)' })

/** Opaque: the next_cursor of the page before. */
export const PageCursor = Type.String({ pattern: '^[A-Za-z0-9_-]{1,512}$', description: 'the next_cursor of the page before' })

/** The query parameters of a paged list, to spread into its query schema. */
export const paging = { limit: Type.Optional(Limit), cursor: Type.Optional(PageCursor) }

export const PageQuery = Type.Object(paging, { additionalProperties: false })

export const NextCursor = Nullable(Type.String({ description: 'send it back as cursor for the next page; null on the last page' }))

/** The limit a query asked for, or the default. */
export const limitOf = (query: { limit?: string | undefined }) => (query.limit === undefined ? PAGE_DEFAULT : Number(query.limit))
