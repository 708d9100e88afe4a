import { randomFillSync } from 'node:crypto'
import { formatted } from '../../contracts/derived-ids.ts'

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
  // Random bytes drawn for many ids at once, as randomUUID does: a draw per id is a system call.
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
