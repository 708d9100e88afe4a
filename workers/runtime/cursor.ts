// Lists that can grow are read a page at a time: a page ends where the next one starts, and the
// client gets that place as an opaque cursor (next_cursor) to send back.
import { HttpError } from './http.ts'

/** Where the previous page of a newest-first list ended: the sequence number of its last row. */
export type Cursor = { before: number }

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`seq:${cursor.before}`).toString('base64url')
}

/** The cursor, or undefined when the text is not one this API gave out. */
export function decodeCursor(text: string): Cursor | undefined {
  const match = /^seq:([1-9][0-9]{0,14})$/.exec(Buffer.from(text, 'base64url').toString())
  return match ? { before: Number(match[1]) } : undefined
}

/** The values a list is ordered by (a name and an id, a day, a sequence number). */
export type Key = ReadonlyArray<string | number>

/** Where a page of a list ordered by other columns ended: the sort key of its last row. */
export function encodeKeyCursor(key: Key): string {
  return Buffer.from(`key:${JSON.stringify(key)}`).toString('base64url')
}

/** The key, when the text is a cursor this API gave out for a list ordered by keys of this shape. */
export function decodeKeyCursor<K extends Key>(text: string, shape: { [I in keyof K]: K[I] extends number ? 'number' : 'string' }): K | undefined {
  const raw = Buffer.from(text, 'base64url').toString()
  if (!raw.startsWith('key:')) return undefined
  let key: unknown
  try {
    key = JSON.parse(raw.slice(4))
  } catch {
    return undefined
  }
  if (!Array.isArray(key) || key.length !== shape.length) return undefined
  return key.every((value, i) => typeof value === shape[i]) ? (key as unknown as K) : undefined
}

/** A page of rows read with one row more than asked: the rows, and the key to go on from when there are more. */
export function pageOf<Row>(rows: Row[], limit: number, keyOf: (row: Row) => Key): { rows: Row[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null }
  const page = rows.slice(0, limit)
  return { rows: page, next: encodeKeyCursor(keyOf(page.at(-1)!)) }
}

/** A page, or 422 when its cursor was not one this API gave out. */
export function orInvalidCursor<T>(page: T | undefined): T {
  if (page === undefined) throw new HttpError(422, 'invalid_cursor', 'cursor is not one this API gave out: send the next_cursor of the page before')
  return page
}
