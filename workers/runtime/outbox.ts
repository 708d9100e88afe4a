// Transactional outbox: events are written in the caller's SQLite transaction and
// relayed to JetStream in order, with Nats-Msg-Id = event_id, until the broker acked
// them. A crash anywhere leaves them in the table; a republish is deduplicated by the
// stream (within its window) and by every consumer's inbox (always).
import type { NatsConnection } from '@nats-io/nats-core'
import type { JetStreamManager } from '@nats-io/jetstream'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { type Envelope, makeEnvelope, type Producer } from '../../contracts/envelope.ts'
import { backoff } from './backoff.ts'
import { describeFault, type Health } from './health.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'
import { WindowPublisher } from './publisher.ts'
import { isNotFound, streamOf } from './nats.ts'
import { recordPosition, type Store } from './store.ts'

export type EmitOptions = {
  /** A deterministic id makes a replayed decision produce the same event. */
  eventId?: string
  /** The moment the change was made, when the caller also stored it (else now). */
  time?: Date
}

export class Outbox {
  /** Told after every emit, so the relay wakes once the transaction commits. */
  onEmit: (() => void) | undefined
  /** How many events were written, rolled back ones included: whether a handler decided anything. */
  emitted = 0

  constructor(
    private readonly store: Store<unknown>,
    private readonly producer: Producer,
    private readonly now: () => Date,
    private readonly newId: () => string,
  ) {}

  /** Writes an event to the outbox; call it inside the transaction of the change it reports. */
  emit<N extends EventName>(name: N, data: EventData<N>, options: EmitOptions = {}): Envelope<N> {
    const { subject, envelope } = makeEnvelope({
      name,
      data,
      eventId: options.eventId ?? this.newId(),
      time: options.time ?? this.now(),
      producer: this.producer,
    })
    this.store
      .prepare('INSERT INTO outbox (event_id, subject, payload, written_at) VALUES (?, ?, ?, ?)')
      .run(envelope.event_id, subject, JSON.stringify(envelope), Date.now())
    this.emitted += 1
    this.onEmit?.()
    return envelope
  }

  pending(): number {
    return (this.store.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n
  }
}

type Row = { seq: number; event_id: string; subject: string; payload: string }

/**
 * A failed window is published again after 200 ms, then twice as long each time, at most 1 s:
 * a stream leader election on the cluster answers "no responders" for several seconds, and
 * a write waiting for its events should see them stored soon after the new leader is up,
 * not up to 5 s later. One publish a second costs the broker nothing.
 */
const RETRY = { firstMs: 200, maxMs: 1000 }

/** The relay's name among the worker's faults (/readyz). */
const COMPONENT = 'outbox relay'

export type RelayOptions = {
  store: Store<unknown>
  nc: NatsConnection
  log: Logger
  metrics?: Metrics
  /** The worker's name, a label of its outbox metrics. */
  worker?: string
  batchSize?: number
  /** How often the table is looked at when nobody kicks the relay. */
  pollMs?: number
  publishTimeoutMs?: number
  /** Where a relay that keeps failing is reported. */
  health?: Health
  /** Whether this instance may publish now (it holds the worker's lease); always when absent. */
  active?: () => boolean
  /** Looks a stored message up, for a fenced relay finding its stream written to by someone else. */
  jsm?: JetStreamManager
  /** Told once a fenced relay finds another instance's decision in its stream; the relay has stopped. */
  onOvertaken?: (reason: string) => void
}

/** A relay's fence: the last message of its own stream it knows of, which its next publish expects. */
export type Fence = { stream: string; seq: number }

export class OutboxRelay {
  private running = false
  /**
   * Windows failed in a row, across starts: a relay stopped while failing (its instance lost the
   * lease) and started again clears its fault at its first success, not never.
   */
  private failures = 0
  private loop: Promise<void> | undefined
  private wake: (() => void) | undefined
  private kicked = false
  private readonly batchSize: number
  private readonly pollMs: number
  private readonly publishTimeoutMs: number
  private readonly published
  private confirmedUpTo = 0
  private fence: Fence | undefined
  private readonly waiters = new Set<{ seq: number; progressed: () => void; resolve: () => void }>()

  constructor(private readonly options: RelayOptions) {
    this.batchSize = options.batchSize ?? 1000
    this.pollMs = options.pollMs ?? 200
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000
    this.published = options.metrics?.counter('ates_outbox_published_total', 'Events relayed from the outbox')
    const pending = options.metrics?.gauge('ates_outbox_pending', 'Events waiting in the outbox')
    const oldest = options.metrics?.gauge('ates_outbox_oldest_age_seconds', 'How long the oldest event waiting in the outbox has waited, in seconds (0: none waits)')
    options.metrics?.collect(() => {
      const { store } = this.options
      pending?.set({}, (store.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n)
      const writtenAt = store.prepare('SELECT written_at FROM outbox ORDER BY seq LIMIT 1').pluck().get() as number | undefined
      oldest?.set({ worker: options.worker ?? '' }, writtenAt === undefined ? 0 : Math.max(0, Date.now() - writtenAt) / 1000)
    })
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.loop = this.run()
  }

  /**
   * Fences the relay in its own stream (runtime/duty.ts, once the instance has read it back to
   * `seq` becoming active): the first publish of each window expects the stream's last message
   * to be the last one the relay knows of. Written to since by another producer (close's
   * requests in BILLING), the relay looks at what came and goes on; by another instance of its
   * worker — one paused past its lease whose publish arrived late, or this one's decisions made
   * without what that one published — it stops, and says so (`onOvertaken`).
   */
  fenceAt(fence: Fence | undefined): void {
    this.fence = fence
  }

  /**
   * Its outbox is set aside (a rebuild): what it failed to publish is no one's to publish now,
   * and its fault goes too. Kept, the fault stood for good: the next relay, with nothing of the
   * old outbox to publish, had no success to clear it with.
   */
  retire(): void {
    this.failures = 0
    this.options.health?.ok(COMPONENT)
  }

  /** Something was committed to the outbox: relay it now rather than at the next poll. */
  kick(): void {
    this.kicked = true
    this.wake?.()
  }

  /** Stops after the batch in flight; what is left stays in the table for the next start. */
  async stop(): Promise<void> {
    this.running = false
    this.wake?.()
    await this.loop
  }

  /**
   * Resolves once everything committed so far has been relayed; rejects when the broker has
   * confirmed nothing for `timeoutMs`. A write of many events (a reshuffle of every open task)
   * waits as long as they keep being confirmed.
   */
  async flushed(timeoutMs = 10_000): Promise<void> {
    const last = this.options.store.prepare('SELECT max(seq) FROM outbox').pluck().get() as number | null
    if (last === null || last <= this.confirmedUpTo) return
    this.kick()
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout
      const arm = () => {
        clearTimeout(timer)
        timer = setTimeout(() => {
          this.waiters.delete(waiter)
          reject(new Error('outbox not flushed in time'))
        }, timeoutMs)
      }
      const waiter = { seq: last, progressed: arm, resolve: () => (clearTimeout(timer), resolve()) }
      arm()
      this.waiters.add(waiter)
    })
  }

  /** The rows up to `seq` are stored in JetStream: whoever waits for them is told. */
  private confirm(seq: number): void {
    if (seq > this.confirmedUpTo) this.confirmedUpTo = seq
    for (const waiter of this.waiters) {
      if (waiter.seq > this.confirmedUpTo) {
        waiter.progressed()
        continue
      }
      this.waiters.delete(waiter)
      waiter.resolve()
    }
  }

  private async run(): Promise<void> {
    const { store, log } = this.options
    const select = store.limited('SELECT seq, event_id, subject, payload FROM outbox ORDER BY seq', this.batchSize)
    const remove = store.prepare('DELETE FROM outbox WHERE seq <= ?')
    const publisher = new WindowPublisher(this.options.nc, this.publishTimeoutMs)
    const health = this.options.health
    const failed = async (reason: string, relayed: number) => {
      this.failures += 1
      const delay = backoff(this.failures, RETRY)
      log.warn('outbox relay: will retry', { error: reason, retry_ms: delay, relayed })
      // A blip is not a fault; a relay that keeps failing (the stream refuses, the disk is full) is.
      if (this.failures >= 3) health?.fail(COMPONENT, reason)
      await this.sleep(delay, false)
    }
    try {
      while (this.running) {
        try {
          this.kicked = false
          const rows = select.all() as Row[]
          if (rows.length === 0) {
            await this.sleep(this.pollMs)
            continue
          }
          // Publishes are pipelined on one connection, so the stream stores them in order;
          // the acks are collected together.
          if (this.options.active && !this.options.active()) {
            await this.sleep(this.pollMs)
            continue
          }
          const fence = this.fence && streamOf(rows[0]!.subject) === this.fence.stream ? this.fence : undefined
          const { acked: relayed, failure, cut, stored, wrongLast } = await publisher.publish(
            rows.map((row) => ({ subject: row.subject, payload: row.payload, msgId: row.event_id })),
            fence?.seq,
          )
          if (relayed > 0) {
            // Should the delete fail (a full disk), the rows are published again: the stream and
            // every inbox drop the copies.
            store.tx(() => {
              remove.run(rows[relayed - 1]!.seq)
              for (const [stream, seq] of stored) recordPosition(store, stream, seq)
            })
            this.published?.inc({}, relayed)
            this.confirm(rows[relayed - 1]!.seq)
          }
          if (this.fence && stored.has(this.fence.stream)) this.fence.seq = Math.max(this.fence.seq, stored.get(this.fence.stream)!)
          // The stream was written to since the fence: by whom decides.
          if (fence && wrongLast !== undefined) {
            const overtaken = await this.lookBehind(fence, wrongLast, rows)
            if (overtaken === undefined) {
              fence.seq = wrongLast
              continue
            }
            this.running = false
            log.error('outbox relay stopped: another instance of this worker published to its stream', { reason: overtaken })
            const told = this.options.onOvertaken
            if (told) setImmediate(() => told(overtaken))
            break
          }
          // Another producer's message came between two of the window's: the rest goes again at once.
          if (failure !== undefined && cut) continue
          if (failure !== undefined) {
            await failed(failure, relayed)
          } else if (this.failures > 0) {
            this.failures = 0
            health?.ok(COMPONENT)
          }
        } catch (error) {
          await failed(describeFault(error), 0)
        }
      }
    } finally {
      publisher.close()
    }
  }

  /**
   * Why the relay is overtaken, or undefined when it is not: each message stored after the fence
   * up to `last` is another producer's (close's requests in BILLING), a copy of an event
   * republished under another message id, or one of the relay's own rows (stored, its PubAck
   * lost); anything else of this worker's was decided by another instance.
   */
  private async lookBehind(fence: Fence, last: number, rows: readonly Row[]): Promise<string | undefined> {
    const { jsm, worker } = this.options
    if (!jsm) return `${fence.stream} holds messages after ${fence.seq} and the relay cannot look at them`
    const mine = new Map(rows.map((row) => [row.event_id, row.payload]))
    for (let seq = fence.seq + 1; seq <= last; seq++) {
      const msg = await jsm.streams.getMessage(fence.stream, { seq }).catch((error: unknown) => {
        if (isNotFound(error)) return null
        throw error
      })
      if (!msg) continue
      let producer: string | undefined
      let eventId: string | undefined
      try {
        ;({ producer, event_id: eventId } = msg.json<{ producer?: string; event_id?: string }>())
      } catch {
        // Not an event (a stray publish): no worker's decision.
      }
      if (producer !== worker) continue
      // A relay publishes under the event's own id; a copy under another one (`make dlq-redrive`,
      // an operator's republish) repeats an event the stream holds already: no decision.
      if (msg.header?.get('Nats-Msg-Id') !== eventId) continue
      if (eventId !== undefined && mine.get(eventId) === msg.string()) continue
      return `message ${seq} of ${fence.stream} (${msg.subject}, event ${eventId}) was published by another instance of ${worker} after message ${fence.seq}, the last this instance knew of`
    }
    return undefined
  }

  /** Waits ms, or less when stopped (or kicked, unless backing off after a failure). */
  private sleep(ms: number, wakeOnKick = true): Promise<void> {
    if ((wakeOnKick && this.kicked) || !this.running) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = () => {
        if (wakeOnKick || !this.running) {
          this.wake = undefined
          done()
        }
      }
    })
  }
}
