// What an instance answers about itself and how its writes wait for the broker: /healthz,
// /readyz and /metrics, the standby's gate (SPEC §5, Availability), and confirmed writes.
import { type Context, Hono, type MiddlewareHandler, type Next } from 'hono'
import type { CatchingUp } from './duty.ts'
import type { Following } from './follow.ts'
import type { Health } from './health.ts'
import { errorBody } from './http.ts'
import type { Holder } from './lease.ts'
import type { Metrics } from './metrics.ts'

export type Readiness = {
  nats: () => boolean
  database: () => boolean
  lags: () => Promise<Record<string, number>>
  health?: Health
  /**
   * For a worker with a lease: undefined while this instance is the active one, else who is
   * (null when nobody holds the lease right now). Undefined at once, not a promise, while active:
   * every request asks.
   */
  standby?: () => undefined | Promise<Holder | null | undefined>
  /** For a standby that keeps its database warm: how its following goes (undefined while active). */
  following?: () => Following | undefined
  /** While the active instance brings its database up to date: what it is still doing; undefined once done. */
  catchingUp?: () => CatchingUp | undefined
}

export type Writes = {
  /** Whether the broker can take events now. */
  connected: () => boolean
  /** Resolves once every event committed so far is stored in JetStream; rejects after `ms`. */
  stored: (ms: number) => Promise<void>
}

/**
 * A write answered as done is stored in JetStream (SPEC §5: losing a machine loses nothing
 * acknowledged). With the broker out of reach a write is refused before anything changes
 * (503); once committed, the answer waits until its events are stored, and says so if the
 * broker does not confirm them in time (504: saved here, sent as soon as it is back).
 */
export function confirmedWrites(writes: Writes, waitMs = 10_000): MiddlewareHandler {
  const write: MiddlewareHandler = async (c, next) => {
    if (!writes.connected()) {
      c.header('retry-after', '5')
      return c.json(errorBody('unavailable', 'the event broker cannot be reached: nothing was changed, try again shortly'), 503)
    }
    await next()
    if (c.res.status >= 400) return
    try {
      await writes.stored(waitMs)
    } catch {
      // What was saved goes with the answer (the new task's id, say), so it can be looked up.
      const saved = c.res.headers.get('content-type')?.startsWith('application/json') ? await c.res.clone().json().catch(() => undefined) : undefined
      const location = c.res.status === 201 ? c.res.headers.get('location') : null
      c.res = c.json(
        errorBody(
          'unconfirmed',
          'the change is saved but the event broker has not confirmed it yet; it is sent as soon as the broker answers. Look it up before trying again.',
          saved === undefined ? undefined : { saved },
        ),
        504,
      )
      if (location) c.header('location', location)
    }
  }
  // A read passes straight on: not even a promise of this middleware's own.
  return (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS' ? next() : write(c, next))
}

/** The paths every instance answers, active or not. */
export const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/** A standby answers everything but the ops routes with 503, saying which instance is active. */
export function standbyGate(standby: NonNullable<Readiness['standby']>): MiddlewareHandler {
  const refuse = async (c: Context, next: Next, asked: Promise<Holder | null | undefined>) => {
    const holder = await asked
    if (holder === undefined) return next()
    c.header('retry-after', '2')
    // For a load balancer: this request was not processed, another instance may take it.
    c.header('ates-standby', '1')
    const message = holder ? `this instance is a standby; the active one is ${holder.instance} at ${holder.url}` : 'this instance is a standby and no instance is active right now; one takes over within seconds'
    return c.json(errorBody('standby', message, holder ? { active: { instance: holder.instance, url: holder.url } } : undefined), 503)
  }
  // The active instance passes every request straight on: not even a promise of its own.
  return (c, next) => {
    if (OPS_PATHS.has(c.req.path)) return next()
    const asked = standby()
    return asked === undefined ? next() : refuse(c, next, asked)
  }
}

/**
 * The active instance answers everything but the ops routes with 503 while it brings its
 * database up to date (SPEC §5: a standby takes over after bringing its database up to date;
 * a worker restarted behind its streams, or rebuilt, likewise): until then it would answer as
 * if the events it has not read yet had not happened — a task refused for want of popugs, a
 * balance without its latest fees.
 */
export function catchingUpGate(catchingUp: () => CatchingUp | undefined): MiddlewareHandler {
  const refuse = async (c: Context, catching: CatchingUp) => {
    c.header('retry-after', '1')
    // For a load balancer: this request was not processed, another instance may take it.
    c.header('ates-catching-up', '1')
    const what = 'events' in catching ? `${Object.values(catching.events).reduce((sum, n) => sum + n, 0)} events to go` : 'becoming the active instance'
    return c.json(errorBody('catching_up', `this instance is bringing its database up to date from the streams (${what}); try again in a moment`, { catching_up: catching }), 503)
  }
  // An instance up to date passes every request straight on: one call, no promise of its own.
  return (c, next) => {
    if (OPS_PATHS.has(c.req.path)) return next()
    const catching = catchingUp()
    return catching === undefined ? next() : refuse(c, catching)
  }
}

/** What /readyz answers: whether the worker is ready, and why not. */
export async function readinessReport(readiness: Readiness, maxLag = Number.POSITIVE_INFINITY) {
  const nats = readiness.nats()
  const database = readiness.database()
  // A consumer JetStream cannot report on (no leader yet, after a node died) is not caught up.
  const lags = nats ? await readiness.lags().catch(() => undefined) : {}
  const caughtUp = lags !== undefined && Object.values(lags).every((lag) => lag <= maxLag)
  const faults = readiness.health?.faults ?? {}
  const holder = await readiness.standby?.()
  const catching = holder === undefined ? readiness.catchingUp?.() : undefined
  const ready = nats && database && caughtUp && Object.keys(faults).length === 0 && holder === undefined && catching === undefined
  const status = holder !== undefined ? 'standby' : ready ? 'ready' : 'not_ready'
  const following = holder !== undefined ? readiness.following?.() : undefined
  return {
    ready,
    body: { status, nats, database, consumer_lag: lags ?? null, faults, warnings: readiness.health?.notices ?? [], ...(holder !== undefined ? { active: holder } : {}), ...(following ? { following } : {}), ...(catching ? { catching_up: catching } : {}) },
  }
}

/** How long a scrape waits for the readiness it reports (JetStream answering for the lags). */
const READY_SAMPLE_MS = 2000

/**
 * `ates_ready{worker}`, sampled at each scrape as /readyz answers without max_lag: 1 when
 * ready, 0 when not (a standby included: it is not the one working). It also keeps
 * `ates_consumer_lag` current for a Prometheus that never calls /readyz.
 */
export function readinessGauge(metrics: Metrics, worker: string, readiness: Readiness): void {
  const gauge = metrics.gauge('ates_ready', 'Whether the worker is ready (1) as GET /readyz answers, or not (0: NATS, the database, a fault, JetStream not answering, a standby)')
  metrics.collect(async () => {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READY_SAMPLE_MS)
    })
    const ready = await Promise.race([readinessReport(readiness).then((r) => r.ready, () => false), late])
    clearTimeout(timer)
    gauge.set({ worker }, ready ? 1 : 0)
  })
}

/** /healthz (the process answers), /readyz (NATS, DB, consumer lag), /metrics. */
export function opsRoutes(metrics: Metrics, readiness: Readiness): Hono {
  const app = new Hono()
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const maxLagParam = c.req.query('max_lag')
    const { ready, body } = await readinessReport(readiness, maxLagParam === undefined ? Number.POSITIVE_INFINITY : Number(maxLagParam))
    return c.json(body, ready ? 200 : 503)
  })
  app.get('/metrics', async (c) => {
    return c.text(await metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4' })
  })
  return app
}
