// A batch of delivered events applied to a worker's SQLite file, without a broker: each event
// is recorded in the inbox in the same transaction as its effect, so a redelivered event has
// no second effect. The consumer loop (consumer.ts) fetches, then acks, naks or dead-letters
// by the outcomes this returns.
import type { Decoded, Envelope } from '../../contracts/envelope.ts'
import type { EventName } from '../../contracts/registry.ts'
import { isInfrastructureError } from './health.ts'
import type { Logger } from './log.ts'
import type { Store } from './store.ts'

/**
 * What a handler idempotent by itself returns for an event whose effect was there already (a
 * copy, a redelivery, a charge restored from the stream): the event is counted as a duplicate,
 * as the inbox counts one it remembers.
 */
export const ALREADY_APPLIED = Object.freeze({ alreadyApplied: true as const })

/**
 * A handler either applies the event, asks to see it again later (a dependency is missing), or
 * — idempotent by itself — says its effect was there already.
 */
export type HandlerResult = void | { retry: string } | typeof ALREADY_APPLIED

export type Handlers = { [N in EventName]?: (event: Envelope<N>) => HandlerResult }

export type Delivery = {
  decoded: Decoded
  /** How many times the broker has delivered it, this time included. */
  deliveries: number
}

export type Outcome =
  | { kind: 'applied' }
  | { kind: 'duplicate' }
  | { kind: 'ignored' }
  | { kind: 'failed'; reason: string }
  | { kind: 'dead'; reason: string; eventId?: string }

export type BatchOptions = {
  /** Recorded with each event in the inbox. */
  consumer: string
  /** A handler failing on this delivery dead-letters the event instead of retrying it. */
  maxDeliver: number
  log?: Logger
  /**
   * Filled with each delivery's handling time in milliseconds (its inbox record and handler;
   * 0 for what needs no handler), by index: for the handling-duration metric.
   */
  timings?: Float64Array
}

class RetryLater extends Error {}

export type Handler = (event: Envelope) => HandlerResult

/**
 * Applies a batch in one transaction and returns each delivery's outcome, in order. Nearly
 * every batch applies cleanly, and then a savepoint per event is pure cost: the batch is first
 * tried without them. A handler that throws or asks to wait rolls that attempt back; its
 * outcome is kept, and the batch runs again with one savepoint per event, that event left out,
 * so it fails alone. Throws only when the database itself fails — locked, full, failing, also
 * inside a handler — and then nothing is applied: that is no event's fault.
 */
export function applyBatch<DB>(store: Store<DB>, batch: readonly Delivery[], handlers: Handlers, options: BatchOptions): Outcome[] {
  const remember = inbox(store, options.consumer)
  const known = new Map<number, Outcome>()
  return applyAll(store, batch, handlers, options, remember, known) ?? applyEach(store, batch, handlers, options, remember, known)
}

/**
 * Records an event in the inbox; false when it was there already (a duplicate). One statement
 * finds and records it. It runs before the handler, in the same transaction or savepoint, so a
 * handler that fails rolls the record back with its own effects.
 */
export function inbox<DB>(store: Store<DB>, consumer: string): (eventId: string) => boolean {
  const remember = store.prepare('INSERT INTO inbox (event_id, consumer, handled_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
  const at = Date.now()
  return (eventId) => remember.run(eventId, consumer, at).changes === 1
}

/**
 * Handlers idempotent by themselves — an upsert, or an effect counted once by a key of its own
 * (analytics' entries by transaction id): their events get no inbox record, which would only
 * repeat what the handler already knows. A redelivered event is handled again, to no effect,
 * and counted as a duplicate when its handler says so (ALREADY_APPLIED).
 */
const selfIdempotent = new WeakSet<object>()

/** Marks a handler as idempotent by itself (see selfIdempotent). */
export function idempotent<E>(handler: (event: E) => HandlerResult): (event: E) => HandlerResult {
  selfIdempotent.add(handler)
  return handler
}

/** Whether an event handled by this handler is recorded in the inbox. */
export function needsInbox(handler: Handler): boolean {
  return !selfIdempotent.has(handler)
}

/** The handler of an event, if the handlers have one. */
export function handlerOf(handlers: Handlers, event: Envelope): Handler | undefined {
  return handlers[event.event_name] as Handler | undefined
}

/** What needs no handler: undecodable and unhandled events. */
function triage(decoded: Decoded, handlers: Handlers): Outcome | Handler {
  if (!decoded.ok) return { kind: 'dead', reason: decoded.reason, eventId: decoded.eventId }
  return handlerOf(handlers, decoded.event) ?? { kind: 'ignored' }
}

function failure(delivery: Delivery, event: Envelope, error: unknown, options: BatchOptions): Outcome {
  const waiting = error instanceof RetryLater
  const reason = waiting ? `waiting: ${error.message}` : `handler failed: ${(error as Error).message}`
  if (!waiting) options.log?.warn('handler failed', { event: event.event_name, event_id: event.event_id, error })
  return delivery.deliveries >= options.maxDeliver ? { kind: 'dead', reason, eventId: event.event_id } : { kind: 'failed', reason }
}

/** Runs a handler; false when its effect was there already. One that asks to see the event again later throws. */
export function run(handler: Handler, event: Envelope): boolean {
  const result = handler(event)
  if (result === ALREADY_APPLIED) return false
  if (result && 'retry' in result) throw new RetryLater(result.retry)
  return true
}

/** The batch in one transaction without savepoints; undefined when a handler did not apply. */
function applyAll<DB>(
  store: Store<DB>,
  batch: readonly Delivery[],
  handlers: Handlers,
  options: BatchOptions,
  remember: (eventId: string) => boolean,
  known: Map<number, Outcome>,
): Outcome[] | undefined {
  const timings = options.timings
  try {
    return store.tx(() =>
      batch.map((delivery, i): Outcome => {
        const handler = triage(delivery.decoded, handlers)
        if (typeof handler !== 'function') return handler
        const event = (delivery.decoded as { event: Envelope }).event
        const started = timings ? performance.now() : 0
        if (needsInbox(handler) && !remember(event.event_id)) return { kind: 'duplicate' }
        let fresh: boolean
        try {
          fresh = run(handler, event)
        } catch (error) {
          if (!isInfrastructureError(error)) known.set(i, failure(delivery, event, error, options))
          throw error
        }
        if (timings) timings[i] = performance.now() - started
        return fresh ? { kind: 'applied' } : { kind: 'duplicate' }
      }),
    )
  } catch (error) {
    if (known.size === 0) throw error
    return undefined
  }
}

/** The batch in one transaction, each event in its own savepoint with its inbox record. */
function applyEach<DB>(
  store: Store<DB>,
  batch: readonly Delivery[],
  handlers: Handlers,
  options: BatchOptions,
  remember: (eventId: string) => boolean,
  known: ReadonlyMap<number, Outcome>,
): Outcome[] {
  const timings = options.timings
  return store.tx(() =>
    batch.map((delivery, i): Outcome => {
      const outcome = known.get(i)
      if (outcome) return outcome
      const handler = triage(delivery.decoded, handlers)
      if (typeof handler !== 'function') return handler
      const event = (delivery.decoded as { event: Envelope }).event
      const started = timings ? performance.now() : 0
      try {
        const fresh = store.tx(() => {
          if (needsInbox(handler) && !remember(event.event_id)) return false
          return run(handler, event)
        })
        if (timings) timings[i] = performance.now() - started
        return fresh ? { kind: 'applied' } : { kind: 'duplicate' }
      } catch (error) {
        if (isInfrastructureError(error)) throw error
        return failure(delivery, event, error, options)
      }
    }),
  )
}
