// A warm standby: while another instance is the active one, a standby keeps its database close
// to the active one's, so that taking over is reading a short tail rather than the streams
// from their start. Each round it first brings in what the active one decided (the worker's
// `follow`: billing restores its own decisions from BILLING), then reads each of its
// subscriptions on from where it stands and applies the events that decide nothing new —
// those whose decisions the active one has published already, and those that decide nothing
// at all — stopping at the first that would decide: that one is the active one's to decide.
// Nothing a standby applies is published and no durable moves; where it stands on each
// subscription is kept in its database, and the durable starts after it once it takes over
// (ensureDurable's appliedUpTo).
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { Envelope } from '../../contracts/envelope.ts'
import { handlerOf, type Handlers, inbox, needsInbox, run } from './batch.ts'
import type { Subscription } from './consumer.ts'
import { describeFault, isInfrastructureError } from './health.ts'
import type { Logger } from './log.ts'
import { isNotFound } from './nats.ts'
import { readToEnd } from './replay.ts'
import { positions, runtimeValue, setRuntimeValue, type Store } from './store.ts'
import type { Ctx } from './worker.ts'

/** The consumer a standby reads through, on each stream it follows. */
export const followName = (worker: string, instance?: string) => (instance ? `${worker}-${instance}-follow` : `${worker}-follow`)

/** A subscription as the active instance would consume it. */
export type Read = Subscription & { handlers: Handlers }

export type FollowParts<DB> = {
  ctx: Ctx<DB>
  js: JetStreamClient
  jsm: JetStreamManager
  /** The worker's own part of a round: bringing in the active instance's decisions, read through the given consumer name. */
  follow: (ctx: Ctx<DB>, readBack: Ctx<DB>['readBack']) => Promise<void>
  /** The subscriptions, as the active instance consumes them. */
  reads: () => Read[]
  /** Reads back the worker's own stream through a consumer of the given name. */
  readBack: (name: string, handle: (events: Envelope[]) => void) => Promise<number>
  log: Logger
  /** Pause between two rounds. */
  intervalMs?: number
}

/** Where the database stands on a subscription it followed: the runtime value's key. */
const positionKey = (durable: string) => `follow ${durable}`

/** The stream sequence up to which a standby applied a subscription (0: none). */
export function followedUpTo(store: Store<unknown>, durable: string): number {
  return Number(runtimeValue(store, positionKey(durable)) ?? 0)
}

class WouldDecide extends Error {}
class Stopped extends Error {}

/** A round that brought in fewer events than this leaves the standby close behind the active one. */
const WARM_ROUND_EVENTS = 1000

/** What /readyz says of a standby's following. */
export type Following = {
  rounds: number
  /** The last round: when it ended, the active one's decisions it brought in, the events it applied, how long it took. */
  last_round: { at: string; decisions: number; applied: number; seconds: number } | null
  /** Whether the last round had little to do: a takeover then reads only a short tail. */
  warm: boolean
}

export class Follower<DB> {
  private running: Promise<void> | undefined
  private stopping = false
  private closed = false
  private failing = false
  private wake: (() => void) | undefined
  readonly state: Following = { rounds: 0, last_round: null, warm: false }
  /** Per durable: how many messages of its filter the stream held when a read last found its end. */
  private readonly readToEnd = new Map<string, number>()

  constructor(private readonly parts: FollowParts<DB>) {}

  /** Starts following (a standby); nothing once closed. */
  start(): void {
    if (this.running || this.closed) return
    this.stopping = false
    this.running = this.loop()
  }

  /** Stops after the round in flight (becoming active); what it applied stays. */
  async stop(): Promise<void> {
    this.stopping = true
    this.wake?.()
    await this.running
    this.running = undefined
  }

  /** Stops for good: the worker is stopping, and an activation failing meanwhile starts nothing again. */
  async close(): Promise<void> {
    this.closed = true
    await this.stop()
  }

  private async loop(): Promise<void> {
    const { log, intervalMs = 1000 } = this.parts
    while (!this.stopping) {
      try {
        await this.round()
        if (this.failing) log.info('standby follows the streams again')
        this.failing = false
      } catch (error) {
        // A standby that cannot follow right now (a stream not answering) tries again next round;
        // it says so once, not every second.
        this.state.warm = false
        if (!this.stopping && !this.failing) log.warn('standby cannot follow the streams: trying again every round', { error: describeFault(error) })
        this.failing = true
      }
      if (this.stopping) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs)
        this.wake = () => (clearTimeout(timer), resolve())
      })
      this.wake = undefined
    }
  }

  /** One round: the active one's decisions, then each subscription as far as it decides nothing new. */
  async round(): Promise<void> {
    const { ctx, follow, readBack } = this.parts
    // Decisions of its own that never reached the streams (it was active, then lost the lease):
    // this database is set aside when it takes over (duty.ts, the epochs), so it is not kept warm.
    if (ctx.outbox.pending() > 0) {
      this.state.warm = false
      return
    }
    const started = performance.now()
    const name = followName(ctx.name, ctx.config.instance)
    let decisions = 0
    // Becoming active must not wait for a long round (the first one of an empty database): a
    // batch not applied yet is left to the read that comes with becoming active.
    await follow(ctx, async (handle) => {
      const read = await readBack(name, (events) => {
        if (this.stopping) throw new Stopped()
        handle(events)
      })
      decisions += read
      return read
    }).catch((error: unknown) => {
      if (!(error instanceof Stopped)) throw error
    })
    if (this.stopping) return
    let applied = 0
    for (const read of this.parts.reads()) {
      if (this.stopping) return
      applied += await this.follow(read, name)
    }
    this.state.rounds += 1
    this.state.last_round = { at: new Date().toISOString(), decisions, applied, seconds: Math.round(performance.now() - started) / 1000 }
    this.state.warm = decisions + applied < WARM_ROUND_EVENTS
  }

  /** Applies a subscription on from where the database stands, up to the first event that would decide; returns how many it applied. */
  private async follow(read: Read, consumerName: string): Promise<number> {
    const { ctx, js, jsm } = this.parts
    // Nothing new for its filter since a read that found its end: no reading consumer is made
    // (each one is a change of the cluster's metadata), only the stream's counts are asked for.
    const matching = await countOf(jsm, read)
    if (matching === this.readToEnd.get(read.durable)) return 0
    const store = ctx.store as Store<unknown>
    // Not followed yet: where its durable stands if this database consumed the stream through it, else the start.
    const from = followedUpTo(store, read.durable) || (positions(store).has(read.stream) ? await ackFloor(jsm, read) : 0)
    const remember = inbox(store, read.durable)
    let applied = 0
    const take = (events: Envelope[], seqs: number[]) =>
      store.tx(() => {
        let taken = 0
        for (const event of events) {
          if (!this.applyQuietly(read.handlers, event, remember)) break
          taken += 1
        }
        if (taken > 0) setRuntimeValue(store, positionKey(read.durable), String(seqs[taken - 1]))
        applied += taken
        return taken
      })
    let stopped = false
    await readToEnd(
      js,
      jsm,
      read.stream,
      (events, seqs) => {
        const taken = this.stopping ? 0 : take(events, seqs)
        stopped ||= taken < events.length
        return taken
      },
      { name: consumerName, filter: read.filter, fromSeq: from + 1 },
    )
    if (stopped) this.readToEnd.delete(read.durable)
    else this.readToEnd.set(read.durable, matching)
    return applied
  }

  /** Applies an event in a savepoint unless it decides something; false (and nothing applied) when it would. */
  private applyQuietly(handlers: Handlers, event: Envelope, remember: (eventId: string) => boolean): boolean {
    const handler = handlerOf(handlers, event)
    if (!handler) return true
    const { outbox, store } = this.parts.ctx
    try {
      store.tx(() => {
        if (needsInbox(handler) && !remember(event.event_id)) return
        const before = outbox.emitted
        run(handler, event)
        if (outbox.emitted !== before) throw new WouldDecide()
      })
      return true
    } catch (error) {
      if (isInfrastructureError(error)) throw error
      // It would decide, asks to wait for what is missing, or fails (as it does for the active
      // one, whose to dead-letter it is): nothing of it stays.
      return false
    }
  }
}

/** How many messages of a subscription's filter the stream holds (it grows with every new one). */
async function countOf(jsm: JetStreamManager, read: Read): Promise<number> {
  const info = await jsm.streams.info(read.stream, { subjects_filter: read.filter })
  return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0)
}

/** Where a durable stands (its ack floor); 0 without one. */
async function ackFloor(jsm: JetStreamManager, read: Read): Promise<number> {
  try {
    return (await jsm.consumers.info(read.stream, read.durable)).ack_floor.stream_seq
  } catch (error) {
    if (isNotFound(error)) return 0
    throw error
  }
}
