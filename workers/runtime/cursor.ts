// Lists that can grow are read a page at a time, newest first: a page ends where the next one
// starts, and the client gets that place as an opaque cursor (next_cursor) to send back.

/** Where the previous page ended: the sequence number of its last row. */
export type Cursor = { before: number }

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`seq:${cursor.before}`).toString('base64url')
}

/** The cursor, or undefined when the text is not one this API gave out. */
export function decodeCursor(text: string): Cursor | undefined {
  const match = /^seq:([1-9][0-9]{0,14})$/.exec(Buffer.from(text, 'base64url').toString())
  return match ? { before: Number(match[1]) } : undefined
}
