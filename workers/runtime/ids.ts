import { createHash, randomFillSync } from 'node:crypto'

/**
 * A name-based UUID (version 5, RFC 9562): the same namespace and name always give the
 * same id. A decision replayed from the streams then produces the same event id, which
 * the stream and every inbox recognise as already seen.
 */
export function deterministicId(namespace: string, name: string): string {
  const hash = createHash('sha1').update(`${namespace}\u0000${name}`).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  return formatted(hash)
}

function formatted(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * A new random id that sorts by the millisecond it was made in (version 7, RFC 9562): 48 bits
 * of Unix time in ms, then 74 random bits. Every index keyed by such ids (tasks, the inboxes of
 * tasks.* events, billing's and analytics' task rows) grows at its right edge: a batch of
 * inserts changes a few pages instead of one page per row at random, which is what a commit
 * writes and what a checkpoint copies again.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16))
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  return formatted(bytes)
}
