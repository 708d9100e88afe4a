import { createHash, randomFillSync } from 'node:crypto'
import { isUuid } from '../../contracts/formats.ts'

/**
 * A name-based UUID: the same namespace and name always give the same id. A decision replayed
 * from the streams then produces the same event id, which the stream and every inbox recognise
 * as already seen. Named after a time-ordered id (version 7, or 8 made by this function), it
 * keeps that id's 48 bits of milliseconds ahead of 74 bits of the SHA-1 (version 8, RFC 9562's
 * custom layout), so ids derived from new events sort by time as theirs do; any other name gives
 * version 5, as every id derived before. Either way the id depends on the name alone.
 */
export function deterministicId(namespace: string, name: string): string {
  const hash = createHash('sha1').update(`${namespace}\u0000${name}`).digest()
  const millis = timeOf(name)
  if (millis === undefined) {
    hash[6] = (hash[6]! & 0x0f) | 0x50
  } else {
    hash.write(millis, 0, 6, 'hex')
    hash[6] = (hash[6]! & 0x0f) | 0x80
  }
  hash[8] = (hash[8]! & 0x3f) | 0x80
  return formatted(hash)
}

/** The 12 hex digits of milliseconds a version 7 or 8 UUID starts with; undefined for anything else. */
function timeOf(name: string): string | undefined {
  if ((name[14] !== '7' && name[14] !== '8') || !isUuid(name)) return undefined
  return name.slice(0, 8) + name.slice(9, 13)
}

function formatted(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const entropy = Buffer.alloc(16 * 1024)
let drawn = entropy.length

/**
 * A new random id that sorts by the millisecond it was made in (version 7, RFC 9562): 48 bits
 * of Unix time in ms, then 74 random bits. Every index keyed by such ids (tasks, the inboxes of
 * tasks.* events, billing's and analytics' task rows) grows at its right edge: a batch of
 * inserts changes a few pages instead of one page per row at random, which is what a commit
 * writes and what a checkpoint copies again.
 */
export function timeOrderedId(now: number = Date.now()): string {
  // Random bytes drawn for many ids at once, as randomUUID does: a draw per id cost 5 µs.
  if (drawn >= entropy.length) {
    randomFillSync(entropy)
    drawn = 0
  }
  const bytes = Buffer.allocUnsafe(16)
  entropy.copy(bytes, 0, drawn, drawn + 16)
  drawn += 16
  bytes.writeUIntBE(now, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  return formatted(bytes)
}
