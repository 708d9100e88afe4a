// The durable pull-consumer loop every worker uses. A fetched batch is handled in one
// SQLite transaction together with the inbox record of each event, so a duplicate has no
// second effect. When a handler fails, the batch is rolled back and handled again with each
// event in its own savepoint, so one failing event does not undo the others.
// Acks go out after the commit; failures are retried with backoff (nak with delay);
// what fails its schema, or keeps failing, is dead-lettered to dlq.<worker> and acked.
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream'
import { headers as natsHeaders } from '@nats-io/nats-core'
import { type Decoded as DecodeResult, decodeEvent, type Envelope } from '../../contracts/envelope.ts'
import type { EventName } from '../../contracts/registry.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'
import { DLQ_HEADERS, dlqSubject, ensureDurable, type StreamName } from './nats.ts'
import type { Store } from './store.ts'

/** A handler either applies the event or asks to see it again later (a dependency is missing). */
export type HandlerResult = void | { retry: string }

export type Handlers = { [N in EventName]?: (event: Envelope<N>) => HandlerResult }

export type ConsumerSpec = {
  /** Durable name, unique per worker and filter, e.g. billing-tasks. */
  durable: string
  stream: StreamName
  filter: string
  handlers: Handlers
}

export type ConsumerOptions = ConsumerSpec & {
  worker: string
  store: Store<unknown>
  js: JetStreamClient
  jsm: JetStreamManager
  log: Logger
  metrics?: Metrics
  maxDeliver?: number
  ackWaitMs?: number
  maxAckPending?: number
  batchSize?: number
  /** Delay before delivery number n + 1, after delivery n failed. */
  backoffMs?: (deliveryCount: number) => number
  /** Called after a batch committed: e.g. to kick the outbox relay. */
  afterCommit?: () => void
}

export const defaultBackoff = (deliveryCount: number): number => Math.min(250 * 2 ** (deliveryCount - 1), 30_000)

class RetryLater extends Error {}

type Outcome =
  | { kind: 'applied' }
  | { kind: 'duplicate' }
  | { kind: 'ignored' }
  | { kind: 'failed'; reason: string }
  | { kind: 'dead'; reason: string; eventId?: string }

export class EventConsumer {
  private consumer: Consumer | undefined
  private messages: ConsumerMessages | undefined
  private readonly queue: JsMsg[] = []
  private wake: (() => void) | undefined
  private stopping = false
  private loop: Promise<void> | undefined
  private readonly maxDeliver: number
  private readonly batchSize: number
  private readonly backoffMs: (deliveryCount: number) => number
  private readonly log: Logger
  private readonly counters

  constructor(private readonly options: ConsumerOptions) {
    this.maxDeliver = options.maxDeliver ?? 10
    // A commit writes each page its batch changed; a consumer catching up commits less often
    // with bigger batches, and pages shared by several events of a batch are written once.
    this.batchSize = options.batchSize ?? 1000
    this.backoffMs = options.backoffMs ?? defaultBackoff
    this.log = options.log.child({ consumer: options.durable })
    this.counters = {
      events: options.metrics?.counter('ates_consumer_events_total', 'Events a consumer handled, by outcome'),
      batches: options.metrics?.counter('ates_consumer_batches_total', 'Batches committed'),
    }
  }

  async start(): Promise<void> {
    const { jsm, js, stream, durable, filter } = this.options
    await ensureDurable(jsm, {
      stream,
      durable,
      filter,
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      maxAckPending: this.options.maxAckPending ?? 2000,
    })
    this.consumer = await js.consumers.get(stream, durable)
    this.messages = await this.consumer.consume({
      // A batch being handled and the next one arriving, within max_ack_pending (2000).
      max_messages: Math.min(this.batchSize * 2, 2000),
      callback: (msg) => {
        this.queue.push(msg)
        this.wake?.()
      },
    })
    this.loop = this.run()
    this.log.info('consumer started', { stream, filter })
  }

  /** Stops fetching, finishes what was already received, and returns. */
  async stop(): Promise<void> {
    if (this.stopping) return this.loop
    this.stopping = true
    await this.messages?.close()
    this.wake?.()
    await this.loop
  }

  /** Messages not yet handled: not delivered, or delivered and not acked (retries included). */
  async lag(): Promise<number> {
    if (!this.consumer) return Number.NaN
    const info = await this.consumer.info()
    return info.num_pending + info.num_ack_pending
  }

  get name(): string {
    return this.options.durable
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        if (this.stopping) return
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
        this.wake = undefined
        // Woken by the first message of a socket read: the reads already waiting behind it are
        // parsed before the event loop's check phase, so a consumer far behind takes them into
        // this batch and commits once for all of them, not once per read.
        if (!this.stopping) await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      const batch = this.queue.splice(0, this.batchSize)
      try {
        await this.handleBatch(batch)
      } catch (error) {
        // A failure of the batch as a whole (the database itself): everything retries.
        this.log.error('batch failed, will be redelivered', { error, size: batch.length })
        for (const msg of batch) msg.nak(this.backoffMs(msg.info.deliveryCount))
      }
    }
  }

  private async handleBatch(batch: JsMsg[]): Promise<void> {
    const decoded = batch.map((msg) => ({ msg, decoded: decodeEvent(msg.subject, msg.data) }))
    // Nearly every batch applies cleanly, and then a savepoint per event is pure cost: the
    // batch is first tried without them. A handler that throws or asks to wait rolls that
    // attempt back; its outcome is kept, and the batch runs again with one savepoint per event,
    // that event left out, so it fails alone. The events before it are handled a second time,
    // their first effects having been rolled back with the attempt.
    const failed = new Map<JsMsg, Outcome>()
    const outcomes = this.applyAll(decoded, failed) ?? this.applyEach(decoded, failed)
    this.counters.batches?.inc({ consumer: this.options.durable })
    this.options.afterCommit?.()

    const counts = new Map<Outcome['kind'], number>()
    for (const outcome of outcomes.values()) counts.set(outcome.kind, (counts.get(outcome.kind) ?? 0) + 1)
    for (const [outcome, n] of counts) this.counters.events?.inc({ consumer: this.options.durable, outcome }, n)
    const deadLetters: Array<Promise<void>> = []
    for (const [msg, outcome] of outcomes) {
      switch (outcome.kind) {
        case 'applied':
        case 'duplicate':
        case 'ignored':
          msg.ack()
          break
        case 'failed':
          msg.nak(this.backoffMs(msg.info.deliveryCount))
          break
        case 'dead':
          deadLetters.push(this.deadLetter(msg, outcome.reason, outcome.eventId))
          break
      }
    }
    await Promise.all(deadLetters)
  }

  /** What needs no handler: undecodable and unhandled events. */
  private triage(d: DecodeResult): Outcome | ((e: Envelope) => HandlerResult) {
    if (!d.ok) return { kind: 'dead', reason: d.reason, eventId: d.eventId }
    const handler = this.options.handlers[d.event.event_name] as ((e: Envelope) => HandlerResult) | undefined
    if (!handler) return { kind: 'ignored' }
    return handler
  }

  /**
   * Records the event in the inbox; false when it was there already (a duplicate). One statement
   * finds and records it. It runs before the handler, in the same transaction or savepoint, so a
   * handler that fails rolls the record back with its own effects.
   */
  private remembers(store: Store<unknown>): (eventId: string) => boolean {
    const remember = store.prepare('INSERT INTO inbox (event_id, consumer) VALUES (?, ?) ON CONFLICT DO NOTHING')
    const consumer = this.options.durable
    return (eventId) => remember.run(eventId, consumer).changes === 1
  }

  /** The batch in one transaction without savepoints; undefined when a handler did not apply. */
  private applyAll(decoded: Array<{ msg: JsMsg; decoded: DecodeResult }>, failed: Map<JsMsg, Outcome>): Map<JsMsg, Outcome> | undefined {
    const { store } = this.options
    const remember = this.remembers(store)
    try {
      return store.tx(() => {
        const outcomes = new Map<JsMsg, Outcome>()
        for (const { msg, decoded: d } of decoded) {
          const handler = this.triage(d)
          if (typeof handler !== 'function') {
            outcomes.set(msg, handler)
            continue
          }
          const event = (d as { event: Envelope }).event
          if (!remember(event.event_id)) {
            outcomes.set(msg, { kind: 'duplicate' })
            continue
          }
          try {
            const result = handler(event)
            if (result && 'retry' in result) throw new RetryLater(result.retry)
          } catch (error) {
            failed.set(msg, this.failure(msg, event, error))
            throw error
          }
          outcomes.set(msg, { kind: 'applied' })
        }
        return outcomes
      })
    } catch (error) {
      if (failed.size === 0) throw error
      return undefined
    }
  }

  private failure(msg: JsMsg, event: Envelope, error: unknown): Outcome {
    const reason = error instanceof RetryLater ? `waiting: ${error.message}` : `handler failed: ${(error as Error).message}`
    if (!(error instanceof RetryLater)) this.log.warn('handler failed', { event: event.event_name, event_id: event.event_id, error })
    return msg.info.deliveryCount >= this.maxDeliver ? { kind: 'dead', reason, eventId: event.event_id } : { kind: 'failed', reason }
  }

  /** The batch in one transaction, each event in its own savepoint with its inbox record. */
  private applyEach(decoded: Array<{ msg: JsMsg; decoded: DecodeResult }>, failed: ReadonlyMap<JsMsg, Outcome>): Map<JsMsg, Outcome> {
    const { store } = this.options
    const remember = this.remembers(store)
    return store.tx(() => {
      const outcomes = new Map<JsMsg, Outcome>()
      for (const { msg, decoded: d } of decoded) {
        const known = failed.get(msg)
        if (known) {
          outcomes.set(msg, known)
          continue
        }
        const handler = this.triage(d)
        if (typeof handler !== 'function') {
          outcomes.set(msg, handler)
          continue
        }
        const event = (d as { event: Envelope }).event
        try {
          const fresh = store.tx(() => {
            if (!remember(event.event_id)) return false
            const result = handler(event)
            if (result && 'retry' in result) throw new RetryLater(result.retry)
            return true
          })
          outcomes.set(msg, fresh ? { kind: 'applied' } : { kind: 'duplicate' })
        } catch (error) {
          outcomes.set(msg, this.failure(msg, event, error))
        }
      }
      return outcomes
    })
  }

  private async deadLetter(msg: JsMsg, reason: string, eventId: string | undefined): Promise<void> {
    const h = natsHeaders()
    h.set(DLQ_HEADERS.reason, reason.slice(0, 1000).replaceAll(/[\r\n]+/g, ' '))
    h.set(DLQ_HEADERS.subject, msg.subject)
    h.set(DLQ_HEADERS.stream, this.options.stream)
    h.set(DLQ_HEADERS.sequence, String(msg.info.streamSequence))
    h.set(DLQ_HEADERS.consumer, this.options.durable)
    h.set(DLQ_HEADERS.deliveries, String(msg.info.deliveryCount))
    if (eventId) h.set(DLQ_HEADERS.eventId, eventId)
    try {
      await this.options.js.publish(dlqSubject(this.options.worker), msg.data, {
        headers: h,
        msgID: `dlq-${this.options.durable}-${msg.info.streamSequence}`,
      })
      msg.ack()
      this.log.warn('dead-lettered', { subject: msg.subject, seq: msg.info.streamSequence, reason })
    } catch (error) {
      // The dead letter could not be written: keep the message and try again later.
      this.log.error('dead-letter publish failed', { error, subject: msg.subject })
      msg.nak(this.backoffMs(msg.info.deliveryCount))
    }
  }
}
