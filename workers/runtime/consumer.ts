// The durable pull-consumer loop every worker uses: it fetches, has a batch applied to the
// worker's SQLite file (batch.ts: inbox, savepoints, outcomes), and then acks, naks with a
// growing delay, or dead-letters to dlq.<worker>. Acks go out after the commit.
// A worker declares a consumer by the events it handles; the stream, the filter and the
// durable's name follow from them (subscriptionOf).
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream'
import { headers as natsHeaders } from '@nats-io/nats-core'
import { decodeEvent } from '../../contracts/envelope.ts'
import type { EventName } from '../../contracts/registry.ts'
import { backoff } from './backoff.ts'
import { applyBatch, type Handlers, type Outcome } from './batch.ts'
import { describeFault, type Health } from './health.ts'
import type { Logger } from './log.ts'
import type { HistogramSeries, Metrics } from './metrics.ts'
import { DLQ_HEADERS, dlqSubject, ensureDurable, type StreamName, streamOf } from './nats.ts'
import { recordPosition, type Store } from './store.ts'

export type { Handlers, HandlerResult } from './batch.ts'

/** Where a consumer reads: the stream, one filter subject (all a 2.9 server takes), the durable. */
export type Subscription = { stream: StreamName; filter: string; durable: string }

/**
 * The subscription of a worker's handlers: one event is read alone (`billing.day_closed.>`,
 * durable close-billing-day_closed); several are read from their whole stream, which must be
 * the same for all (`tasks.>`, durable billing-tasks), and events without a handler are acked.
 */
export function subscriptionOf(worker: string, handlers: Handlers, instance?: string): Subscription {
  // Each instance of a worker has durables of its own (billing-a-tasks): a standby's wait where
  // it left off, and analytics' instances each read everything.
  const owner = instance ? `${worker}-${instance}` : worker
  const names = Object.keys(handlers) as EventName[]
  if (names.length === 0) throw new Error(`${worker}: a consumer needs at least one handler`)
  const prefixes = new Set(names.map((name) => name.split('.')[0]!))
  if (prefixes.size > 1) throw new Error(`${worker}: one consumer reads one stream, but its handlers span ${[...prefixes].join(', ')}`)
  const [prefix] = prefixes as Set<string>
  const stream = streamOf(names[0]!)
  if (names.length === 1) {
    const name = names[0]!
    return { stream, filter: `${name}.>`, durable: `${owner}-${name.replace('.', '-')}` }
  }
  return { stream, filter: `${prefix}.>`, durable: `${owner}-${prefix}` }
}

export type ConsumerOptions = Subscription & {
  handlers: Handlers
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
  /** Where a database that cannot take a batch is reported. */
  health?: Health
  /** Whether this instance may act now (it holds the worker's lease); always when absent. */
  active?: () => boolean
  /** Where the database stands on this subscription without the durable (a standby followed it): the durable starts after it. */
  appliedUpTo?: number
}

/** A failed delivery is retried after 250 ms, then twice as long each time, at most 30 s. */
export const defaultBackoff = (deliveryCount: number): number => backoff(deliveryCount, { firstMs: 250, maxMs: 30_000 })

/** Seconds a consumer spends on one event: tens of microseconds when it is one of a batch. */
export const HANDLING_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2] as const

/** Seconds from an event's event_time until a consumer handled it: milliseconds live, days in a replay. */
export const AGE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86_400] as const

/** A batch the database could not take is tried again after 250 ms, then twice as long each time, at most 30 s. */
const STALLED = { firstMs: 250, maxMs: 30_000 }
/** How often a held batch looks again whether the instance may act. */
const MAY_ACT_POLL_MS = 50

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
  private readonly handling: HistogramSeries | undefined
  private readonly age: HistogramSeries | undefined
  /** Each event's handling time in the batch at hand (batch.ts fills it). */
  private readonly timings: Float64Array
  /** Events the durable held undelivered when this consumer started, and how many it has handled since. */
  private backlog = 0
  private handled = 0

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
      stalls: options.metrics?.counter('ates_consumer_stalls_total', 'Batches the database could not take, each time (tried again until it can)'),
    }
    // Bound once: a handled event costs two observations, no label text.
    const labels = { worker: options.worker, consumer: options.durable }
    this.handling = options.metrics
      ?.histogram('ates_event_handling_duration_seconds', "Time a consumer spent on each event: its handler and inbox record, and its share of the batch's decoding, commit and acks", HANDLING_BUCKETS)
      .series(labels)
    this.age = options.metrics?.histogram('ates_event_age_seconds', "How old each event was when a consumer handled it (now − the event's event_time)", AGE_BUCKETS).series(labels)
    this.timings = new Float64Array(this.batchSize)
  }

  async start(): Promise<void> {
    const { jsm, js, stream, durable, filter } = this.options
    await ensureDurable(jsm, {
      stream,
      durable,
      filter,
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      maxAckPending: this.options.maxAckPending ?? 2000,
      appliedUpTo: this.options.appliedUpTo,
    })
    this.consumer = await js.consumers.get(stream, durable)
    // What the streams held for this instance as it became active: until it has handled as many
    // events, it answers as its database stood before them (catchingUp). Messages another
    // instance had in hand come back after their ack wait, as they would to a consumer caught up.
    this.backlog = (await this.consumer.info()).num_pending
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

  /** Events left of the backlog it started with (0 once it has handled as many events: it stays caught up). */
  get catchingUp(): number {
    return Math.max(0, this.backlog - this.handled)
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
      for (let attempt = 1; ; attempt++) {
        // An instance that may not act applies nothing: the batch waits in hand until it may.
        if (!(await this.untilMayAct(batch))) return
        try {
          await this.handleBatch(batch)
          // Also a fault of this durable's consumer before it was stopped and started again (its
          // instance lost the lease and took it back): a Map lookup when there is none.
          this.options.health?.ok(this.component)
          break
        } catch (error) {
          // The database itself failed (locked, full, failing): no event's fault, so nothing is
          // dead-lettered and no delivery is counted. The batch stays in hand, kept from
          // redelivery with the messages behind it, and is tried again until the database works.
          this.options.health?.fail(this.component, describeFault(error))
          this.counters.stalls?.inc({ consumer: this.options.durable })
          if (this.stopping) {
            for (const msg of batch) msg.nak()
            return
          }
          await this.hold(batch, backoff(attempt, STALLED))
        }
      }
    }
  }

  private mayAct(): boolean {
    return this.options.active?.() ?? true
  }

  /**
   * Holds a batch (and the queue behind it) while the instance may not act: its lease's renewal
   * is late (the event loop was held up, the bucket slow to answer) or the lease is being lost.
   * True once it may act again; false when the consumer is stopped meanwhile (the lease lost:
   * the messages go back to the stream after the ack wait, for whichever instance is active).
   * Dropping the batch instead left every message of the queue pending for the whole ack wait
   * (30 s), during which the durable, its max_ack_pending reached, delivered nothing.
   */
  private async untilMayAct(batch: JsMsg[]): Promise<boolean> {
    if (this.mayAct()) return true
    this.log.info('the instance may not act now (its lease is not renewed yet): holding the batch', { events: batch.length })
    let told = performance.now()
    while (!this.stopping) {
      if (this.mayAct()) return true
      if (performance.now() - told >= this.workingEvery) {
        for (const msg of batch) msg.working()
        for (const msg of this.queue) msg.working()
        told = performance.now()
      }
      await new Promise((resolve) => setTimeout(resolve, MAY_ACT_POLL_MS))
    }
    return false
  }

  /** How often messages held in hand are told to the server as being worked on: well within the ack wait. */
  private get workingEvery(): number {
    return Math.max(100, Math.min((this.options.ackWaitMs ?? 30_000) / 3, 10_000))
  }

  private get component(): string {
    return `consumer ${this.options.durable}`
  }

  /** Waits `ms` while telling the server the batch and the queue behind it are being worked on. */
  private async hold(batch: JsMsg[], ms: number): Promise<void> {
    const every = this.workingEvery
    const until = Date.now() + ms
    while (!this.stopping) {
      for (const msg of batch) msg.working()
      for (const msg of this.queue) msg.working()
      const left = until - Date.now()
      if (left <= 0) return
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, every)))
    }
  }

  /** Applies a batch in one transaction and acks it; the caller has just seen that the instance may act. */
  private async handleBatch(batch: JsMsg[]): Promise<void> {
    const started = performance.now()
    const { store, stream } = this.options
    const timings = this.handling ? this.timings : undefined
    timings?.fill(0, 0, batch.length)
    const deliveries = batch.map((msg) => ({ decoded: decodeEvent(msg.subject, msg.data), deliveries: msg.info.deliveryCount }))
    let last = 0
    for (const msg of batch) if (msg.seq > last) last = msg.seq
    const outcomes = store.tx(() => {
      const applied = applyBatch(store, deliveries, this.options.handlers, { consumer: this.options.durable, maxDeliver: this.maxDeliver, log: this.log, timings })
      recordPosition(store, stream, last)
      return applied
    })
    this.counters.batches?.inc({ consumer: this.options.durable })
    this.options.afterCommit?.()
    // Committed, acked once the instance may act (its lease renewed), or never if it stops.
    if (!(await this.untilMayAct(batch))) return

    const counts = new Map<Outcome['kind'], number>()
    for (const outcome of outcomes) counts.set(outcome.kind, (counts.get(outcome.kind) ?? 0) + 1)
    for (const [outcome, n] of counts) this.counters.events?.inc({ consumer: this.options.durable, outcome }, n)
    const deadLetters: Array<Promise<void>> = []
    outcomes.forEach((outcome, i) => {
      const msg = batch[i]!
      switch (outcome.kind) {
        case 'applied':
        case 'duplicate':
        case 'ignored':
          msg.ack()
          break
        case 'failed':
          msg.nak(this.retryDelay(msg))
          break
        case 'dead':
          deadLetters.push(this.deadLetter(msg, outcome.reason, outcome.eventId))
          break
      }
    })
    this.observe(deliveries, started)
    await Promise.all(deadLetters)
    const wasCatchingUp = this.catchingUp > 0
    this.handled += batch.length
    if (wasCatchingUp && this.catchingUp === 0) this.log.info('caught up with the backlog it started with', { events: this.backlog })
  }

  /**
   * Each event's handling time (its own, plus an equal share of what the batch cost besides the
   * handlers, so the histogram's sum is the consumer's whole time) and its age.
   */
  private observe(deliveries: ReadonlyArray<{ decoded: ReturnType<typeof decodeEvent> }>, started: number): void {
    const handling = this.handling
    const age = this.age
    if (!handling || !age) return
    const n = deliveries.length
    const timings = this.timings
    let own = 0
    for (let i = 0; i < n; i++) own += timings[i]!
    const share = Math.max(0, performance.now() - started - own) / n
    const now = Date.now()
    for (let i = 0; i < n; i++) {
      handling.observe((timings[i]! + share) / 1000)
      const decoded = deliveries[i]!.decoded
      if (decoded.ok) age.observe(Math.max(0, now - Date.parse(decoded.event.event_time)) / 1000)
    }
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
      msg.nak(this.retryDelay(msg))
    }
  }

  private retryDelay(msg: JsMsg): number {
    return this.backoffMs(msg.info.deliveryCount)
  }
}
