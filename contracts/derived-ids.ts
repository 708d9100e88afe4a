// Ids derived from the event that caused them: a decision replayed from the streams produces
// the same ids, which the stream and every inbox recognise as already seen, and anyone reading
// the streams (the invariant checker, the audit) finds the effect of an event by its id.
import * as crypto from 'node:crypto'
import { isUuid } from './formats.ts'

/**
 * A name-based UUID: the same namespace and name always give the same id. A decision replayed
 * from the streams then produces the same event id, which the stream and every inbox recognise
 * as already seen. Named after a time-ordered id (version 7, or 8 made by this function), it
 * keeps that id's 48 bits of milliseconds ahead of 74 bits of the SHA-1 (version 8, RFC 9562's
 * custom layout), so ids derived from new events sort by time as theirs do; any other name gives
 * version 5, as every id derived before. Either way the id depends on the name alone.
 */
export function deterministicId(namespace: string, name: string): string {
  const hash = sha1(`${namespace}\u0000${name}`)
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

/** SHA-1 of a text: one call where Node has it (20.12 and later), a hash object otherwise. */
const sha1: (text: string) => Buffer =
  typeof crypto.hash === 'function' ? (text) => crypto.hash('sha1', text, 'buffer') : (text) => crypto.createHash('sha1').update(text).digest()

/** The 12 hex digits of milliseconds a version 7 or 8 UUID starts with; undefined for anything else. */
function timeOf(name: string): string | undefined {
  if ((name[14] !== '7' && name[14] !== '8') || !isUuid(name)) return undefined
  return name.slice(0, 8) + name.slice(9, 13)
}

export function formatted(bytes: Buffer): string {
  const hex = bytes.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The ids billing gives its effects, close its requests and analytics its figures, each derived from its cause. */
export const derivedIds = {
  /** billing.task_priced of a task. */
  price: (taskId: string) => deterministicId('billing.task_priced', taskId),
  /** The assignment fee of a tasks.assigned event. */
  fee: (assignedEventId: string) => deterministicId('billing.assign_fee', assignedEventId),
  /** The completion reward of a tasks.completed event. */
  reward: (completedEventId: string) => deterministicId('billing.completion_reward', completedEventId),
  /** The payout of an account at the close of a day. */
  payout: (day: string, accountId: string) => deterministicId('billing.payout', `${day}/${accountId}`),
  /** billing.transaction_applied of a transaction. */
  applied: (transactionId: string) => deterministicId('billing.transaction_applied', transactionId),
  /** billing.payout_made of a payout transaction. */
  paid: (transactionId: string) => deterministicId('billing.payout_made', transactionId),
  /** billing.day_closed of a day. */
  closed: (day: string) => deterministicId('billing.day_closed', day),
  /** billing.day_close_requested of a day: the first ask, then each ask again (attempt 2, 3…). */
  closeRequested: (day: string, attempt = 1) => deterministicId('billing.day_close_requested', attempt === 1 ? day : `${day}#${attempt}`),
  /** billing.day_opened of a day. */
  opened: (day: string) => deterministicId('billing.day_opened', day),
  /** billing.day_close_refused answering a request. */
  refused: (requestEventId: string) => deterministicId('billing.day_close_refused', requestEventId),
  /** analytics.day_figures caused by an event: the billing.day_closed, or an entry of the day that came after it. */
  dayFigures: (causeEventId: string) => deterministicId('analytics.day_figures', causeEventId),
}
