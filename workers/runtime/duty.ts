// What an instance does when it becomes the active one, and stops when it is not any more.
// Becoming active, it first makes sure its database may be trusted and is up to date: a
// database ahead of its streams (the streams were reset) is refused; one holding decisions
// that never reached the streams while another instance acted since (its epoch is not the
// last) is set aside and rebuilt from the streams; otherwise it reads on from where it stands
// (its own stream, then its durables, or from where a warm standby's following left them).
// Only then do the outbox relay, the consumers and the worker's own timers start.
import { hostname } from 'node:os'
import { existsSync, renameSync } from 'node:fs'
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { EventConsumer, subscriptionOf } from './consumer.ts'
import { followedUpTo, type Read } from './follow.ts'
import type { Metrics } from './metrics.ts'
import { describeFault, type Health } from './health.ts'
import { isNotFound, OWN_STREAM } from './nats.ts'
import { Outbox, OutboxRelay } from './outbox.ts'
import { openStore, positions, runtimeValue, setRuntimeValue, type Store } from './store.ts'
import type { Ctx, RunOptions, Stoppable, WorkerDefinition } from './worker.ts'

export type DutyParts<DB> = {
  definition: WorkerDefinition<DB>
  ctx: Ctx<DB>
  health: Health
  metrics: Metrics
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  options: RunOptions
  /** Whether this instance may act now (holds the lease); always for a worker without one. */
  active: () => boolean
  /** The epochs bucket, for a worker with a lease, and its key (the lease's). */
  epochs: KV | undefined
  epochKey: string
  /** The runtime's own consumers, besides the worker's (the account access every worker but auth keeps). */
  runtimeReads?: () => Read[]
  /**
   * Told when the relay finds another instance's decision in the worker's own stream after what
   * this one read: it must stop acting (its database is marked to be set aside when it is next active).
   */
  overtaken?: (reason: string) => void
}

/**
 * What an instance must not start with: a database ahead of its streams (they were reset or
 * replaced), a business time zone other than the one the ledger was kept in. Not tried again.
 */
export class RefusedToStart extends Error {}

/** Why an active instance is not up to date yet (Duty.catchingUp). */
export type CatchingUp = { becoming_active: true } | { events: Record<string, number> }

export class Duty<DB> {
  consumers: EventConsumer[] = []
  relay: OutboxRelay
  private extra: Stoppable | undefined
  private running = false
  private activating = false
  /** Up to date since it last became active: every request asks (catchingUp), and then nothing is counted. */
  private upToDate = false

  constructor(private readonly parts: DutyParts<DB>) {
    this.relay = this.newRelay()
  }

  /** Who this database is, for the epochs: the instance and the file it keeps. */
  private get identity(): string {
    const { config, store } = this.parts.ctx
    return `${config.instance ?? 'main'}@${hostname()}:${store.file}`
  }

  private newRelay(): OutboxRelay {
    const { ctx, nc, jsm, health, metrics, active } = this.parts
    const relay = new OutboxRelay({
      store: ctx.store as Store<unknown>,
      nc,
      jsm,
      log: ctx.log,
      metrics,
      worker: ctx.name,
      health,
      active,
      onOvertaken: (reason) => {
        // Whatever it decided and has not published stays in the outbox: with its epoch no
        // longer its own, the next activation sets the database aside (checkEpoch).
        try {
          setRuntimeValue(ctx.store as Store<unknown>, 'epoch', 'overtaken')
        } catch (error) {
          ctx.log.error('could not mark the database overtaken', { error: describeFault(error) })
        }
        this.parts.overtaken?.(reason)
      },
    })
    ctx.outbox.onEmit = () => relay.kick()
    return relay
  }

  async activate(): Promise<void> {
    if (this.running || this.activating) return
    this.activating = true
    this.upToDate = false
    try {
      await this.becomeActive()
    } finally {
      this.activating = false
    }
  }

  /**
   * What keeps this instance from answering as the streams stand, while it is the one acting:
   * it is becoming active (bringing its database up to date, reading its own stream back), or
   * its durables have not yet handled what they held when it did (events to go, by durable).
   * Undefined once it is up to date; a standby is told apart by the lease, not here.
   */
  catchingUp(): CatchingUp | undefined {
    if (this.upToDate) return undefined
    if (this.activating) return { becoming_active: true }
    let events: Record<string, number> | undefined
    for (const consumer of this.consumers) {
      const left = consumer.catchingUp
      if (left > 0) (events ??= {})[consumer.name] = left
    }
    // A consumer caught up stays caught up: once all are, until the next activation.
    if (!events && this.running) this.upToDate = true
    return events && { events }
  }

  private async becomeActive(): Promise<void> {
    const { definition, ctx, js, jsm, options, health, metrics, active } = this.parts
    await this.checkEpoch()
    await this.checkPositions()
    await definition.beforeConsuming?.(ctx)
    if (!active()) return
    // Read back to here (beforeConsuming), its own stream fences what this instance publishes;
    // not for a worker whose instances all act (analytics), each publishing to it.
    const own = OWN_STREAM[ctx.name]
    this.relay.fenceAt(this.parts.epochs && definition.leased !== false && own ? { stream: own, seq: positions(ctx.store as Store<unknown>).get(own) ?? 0 } : undefined)
    this.running = true
    this.relay.start()
    for (const read of this.reads()) {
      this.consumers.push(
        new EventConsumer({
          ...read,
          ...options.consumer,
          // Where a standby's following left the database: its durable starts after it.
          appliedUpTo: followedUpTo(ctx.store as Store<unknown>, read.durable),
          worker: ctx.name,
          store: ctx.store as Store<unknown>,
          js,
          jsm,
          log: ctx.log,
          metrics,
          health,
          active,
          afterCommit: () => this.relay.kick(),
        }),
      )
    }
    for (const consumer of this.consumers) await consumer.start()
    this.extra = (await definition.start?.(ctx)) ?? undefined
  }

  /** The worker's subscriptions with their handlers: the runtime's own, then the worker's. */
  reads(): Read[] {
    const { definition, ctx } = this.parts
    return [
      ...(this.parts.runtimeReads?.() ?? []),
      ...(definition.consumes?.(ctx) ?? []).map((handlers) => ({ ...subscriptionOf(ctx.name, handlers, ctx.config.instance), handlers })),
    ]
  }

  /** Stops the worker's timers, the consumers and the relay; what was committed stays in the outbox. */
  async deactivate(): Promise<void> {
    if (!this.running) return
    this.running = false
    await this.extra?.stop()
    this.extra = undefined
    for (const consumer of this.consumers) await consumer.stop().catch(() => undefined)
    this.consumers = []
    await this.relay.stop()
  }

  /**
   * The epoch says which instance acted last. When it was another one and this database still
   * holds events it never published, those decisions were overtaken: the database is set aside
   * and rebuilt from the streams. Then this instance's epoch becomes the last.
   */
  private async checkEpoch(): Promise<void> {
    const { ctx, epochs } = this.parts
    if (!epochs) return
    const entry = await epochs.get(this.parts.epochKey)
    const last = entry && entry.operation === 'PUT' && entry.value.length > 0 ? entry.json<{ identity: string; epoch: number }>() : undefined
    const mine = runtimeValue(ctx.store as Store<unknown>, 'epoch')
    const continuous = last === undefined || (last.identity === this.identity && String(last.epoch) === mine)
    if (!continuous && ctx.outbox.pending() > 0) {
      await this.rebuild(
        mine === 'overtaken'
          ? "another instance's decision reached the stream after what this database knew: its own decisions since were made without it and never reached the streams"
          : `another instance (${last?.identity}) acted since this database's last decisions, which never reached the streams`,
      )
    }
    const epoch = (last?.epoch ?? 0) + 1
    const value = JSON.stringify({ identity: this.identity, epoch })
    if (entry) await epochs.update(this.parts.epochKey, value, entry.revision)
    else await epochs.create(this.parts.epochKey, value)
    setRuntimeValue(ctx.store as Store<unknown>, 'epoch', String(epoch))
  }

  /** A database that has applied more of a stream than the stream holds is refused. */
  private async checkPositions(): Promise<void> {
    const { ctx, jsm } = this.parts
    for (const [stream, seq] of positions(ctx.store as Store<unknown>)) {
      const last = await jsm.streams
        .info(stream)
        .then((info) => info.state.last_seq)
        .catch(() => undefined)
      if (last !== undefined && seq > last) {
        throw new RefusedToStart(
          `${ctx.store.file} has applied ${stream} up to message ${seq} but the stream ends at ${last}: the streams were reset or replaced. Move the database aside to rebuild it from the streams (make replay), or point the worker at the streams it was built from`,
        )
      }
    }
  }

  /**
   * Sets the database aside and starts an empty one, with this instance's durables read again
   * from the start. The durables go first, each by its name (the only consumers a worker's NATS
   * user may touch): should that fail (a stream not answering), the database is still the old
   * one, its decisions still pending, and the next activation sets it aside again. Set aside
   * first, a failure left an empty database beside durables standing where the old one was —
   * which the next activation, finding nothing pending, would have consumed on from.
   */
  private async rebuild(why: string): Promise<void> {
    const { ctx, definition, jsm } = this.parts
    const { file, checkpoints } = ctx.store
    const aside = file.replace(/\.sqlite$/, `.overtaken-${Date.now()}.sqlite`)
    for (const { stream, durable } of this.reads()) {
      await jsm.consumers.delete(stream, durable).catch((error: unknown) => {
        if (!isNotFound(error)) throw error
      })
    }
    ctx.log.warn('database set aside and rebuilt from the streams', { reason: why, aside })
    ctx.store.close()
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${aside}${suffix}`)
    ctx.store = openStore<DB>(file, definition.migrations, checkpoints)
    ctx.outbox = new Outbox(ctx.store as Store<unknown>, definition.name, definition.clock.now, definition.clock.newId)
    this.relay.retire()
    this.relay = this.newRelay()
  }
}
