// One active instance per worker (SPEC §5, Availability): the instance holding the worker's
// lease — a key in a JetStream key-value bucket, created atomically, renewed by revision
// (compare-and-set), expiring after its TTL — consumes, acks, publishes and writes; any other
// instance is a standby and does none of that. The holder stops before anyone else could take
// the lease: it counts its own deadline on the monotonic clock, shorter than the TTL and from
// the moment it asked for the renewal, so a process paused past the TTL (SIGSTOP) finds its
// deadline gone when it runs again and does nothing more. A graceful stop releases the lease.
import { hostname } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { KV } from '@nats-io/kv'
import { LEASE_SAFETY_SECONDS } from './config.ts'
import type { Logger } from './log.ts'

/** Who holds a worker's lease: the instance, where it answers, and since when; the process behind it. */
export type Holder = { instance: string; url: string; since: string; host: string; pid: number }

export type LeaseOptions = {
  kv: KV
  worker: string
  instance: string
  url: string
  /** The bucket's TTL: a key not renewed for this long expires. */
  ttlMs: number
  log: Logger
  now?: () => Date
}

/** How much sooner than the TTL the holder stops: room for a slow renewal and clock drift. */
export const SAFETY_MS = LEASE_SAFETY_SECONDS * 1000

/** How long an instance that could not become active waits before trying for the lease again. */
const GIVE_UP_MS = 5000

export class Lease {
  private revision: number | undefined
  private deadline = 0
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private holding = false
  /** onWon is running: the instance is becoming active. */
  private becoming = false
  /** The lease was lost while onWon ran: onLost is told once it ends. */
  private lostWhileBecoming = false
  /** After giving the lease up, no try for it before this moment (monotonic ms). */
  private retryAt = 0
  /** Told when the lease is won (start being active) and when it is lost (stop everything). */
  onWon: () => Promise<void> | void = () => undefined
  onLost: () => Promise<void> | void = () => undefined

  constructor(private readonly options: LeaseOptions) {}

  /** Whether this instance may act now: it holds the lease and its deadline has not passed. */
  held(): boolean {
    return this.holding && performance.now() < this.deadline
  }

  /** Tries for the lease once (resolving after onWon when won), then keeps renewing or trying until stopped. */
  async start(): Promise<void> {
    await this.tick()
  }

  /** Gives the lease up (it could not become active) and tries for it again later. */
  async giveUp(): Promise<void> {
    const revision = this.revision
    this.holding = false
    this.deadline = 0
    this.revision = undefined
    this.retryAt = performance.now() + GIVE_UP_MS
    await this.letGo(revision)
    this.schedule(GIVE_UP_MS)
  }

  /**
   * Stops acting at once and lets the lease go (this instance found it was overtaken: another
   * instance's decision came after what it knew); tries for it again after a while.
   */
  async surrender(reason: string): Promise<void> {
    const revision = this.revision
    this.retryAt = performance.now() + GIVE_UP_MS
    await this.lose(reason)
    await this.letGo(revision)
    if (!this.becoming) this.schedule(this.next())
  }

  /** Deletes the key this instance holds at `revision`, so another instance may take it at once (not if it moved since). */
  private async letGo(revision: number | undefined): Promise<void> {
    if (revision !== undefined) await this.options.kv.delete(this.options.worker, { previousSeq: revision }).catch(() => undefined)
  }

  /** Who holds the lease now (this instance or another), if anyone. */
  async holder(): Promise<Holder | undefined> {
    try {
      const entry = await this.options.kv.get(this.options.worker)
      if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined
      return entry.json<Holder>()
    } catch {
      return undefined
    }
  }

  /** Stops renewing and gives the lease up at once, so a standby takes over without waiting for the TTL. */
  async release(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    const revision = this.revision
    const was = this.holding
    this.holding = false
    this.deadline = 0
    if (was) await this.letGo(revision)
  }

  private get value(): string {
    const holder: Holder = { instance: this.options.instance, url: this.options.url, since: (this.options.now?.() ?? new Date()).toISOString(), host: hostname(), pid: process.pid }
    return JSON.stringify(holder)
  }

  /**
   * The revision to take the lease over at without waiting for its TTL: when it is held under
   * this instance's name by a process of this host that no longer runs (this instance, before a
   * crash and restart). Any other holder is waited for.
   */
  private async orphaned(): Promise<number | undefined> {
    const entry = await this.options.kv.get(this.options.worker).catch(() => null)
    if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return undefined
    const holder = entry.json<Holder>()
    if (holder.instance !== this.options.instance || holder.host !== hostname() || holder.pid === process.pid) return undefined
    try {
      process.kill(holder.pid, 0)
      return undefined
    } catch {
      return entry.revision
    }
  }

  /** The next tick, the only one: a tick already scheduled is replaced. */
  private schedule(ms: number): void {
    clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = setTimeout(() => void this.tick(), ms)
  }

  /** When to tick next: a holder renews at a quarter of the TTL; others try again each second, or once the wait after giving up is over. */
  private next(): number {
    return this.holding ? this.options.ttlMs / 4 : Math.max(1000, this.retryAt - performance.now())
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    const { kv, worker, ttlMs, log } = this.options
    const asked = performance.now()
    if (this.holding) {
      try {
        const revision = await kv.update(worker, this.value, this.revision!)
        if (this.stopped) return
        if (!this.holding) {
          // Given up (its activation failed) while this renewal was on its way: the key it
          // renewed is let go too, or no instance could take it before the TTL.
          await this.letGo(revision)
          return this.schedule(this.next())
        }
        this.revision = revision
        this.deadline = asked + ttlMs - SAFETY_MS
      } catch (error) {
        // Another instance holds it now, or the renewal did not get through in time: past the
        // deadline this instance is a standby.
        if (performance.now() >= this.deadline || /wrong last sequence/i.test(String((error as Error).message))) {
          await this.lose(`lease lost: ${(error as Error).message}`)
        }
      }
      this.schedule(this.next())
      return
    }
    // Lost while still becoming active: no second activation beside the first.
    if (this.becoming) return this.schedule(this.next())
    let won = false
    try {
      try {
        this.revision = await kv.create(worker, this.value)
      } catch (error) {
        const orphaned = await this.orphaned()
        if (orphaned === undefined) throw error
        this.revision = await kv.update(worker, this.value, orphaned)
      }
      won = true
    } catch {
      // Held by another instance (the key exists), or the bucket cannot be reached: try again soon.
    }
    if (won && !this.stopped) {
      this.deadline = asked + ttlMs - SAFETY_MS
      this.holding = true
      log.info('lease won: this instance is active', { instance: this.options.instance })
      // Renewed while it becomes active too: billing first reads its own stream back, longer
      // than the TTL once the stream is large. Renewed only after, the lease's deadline passed
      // as the consumers started, and they held their batches until the next renewal, 2 s later.
      this.schedule(this.next())
      this.becoming = true
      // What cannot become active at all (refused to start) ends here, with the lease given up.
      try {
        await this.onWon()
      } catch (error) {
        this.becoming = false
        await this.release()
        throw error
      }
      // Lost while it became active (a renewal failed): what the activation started stops now,
      // and the instance stays `becoming` until it has: a tick meanwhile could win the lease
      // again and start a second activation beside the stopping one.
      try {
        if (this.lostWhileBecoming) {
          this.lostWhileBecoming = false
          await this.onLost()
        }
      } finally {
        this.becoming = false
      }
      return
    }
    this.schedule(this.next())
  }

  private async lose(reason: string): Promise<void> {
    if (!this.holding) return
    this.holding = false
    this.deadline = 0
    this.revision = undefined
    this.options.log.warn(`${reason}: this instance is a standby now`, { instance: this.options.instance })
    // Not in the middle of becoming active (which acts only while the lease is held): once it ends.
    if (this.becoming) this.lostWhileBecoming = true
    else await this.onLost()
  }
}
