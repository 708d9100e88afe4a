// The lifecycle every worker shares: config, logs, its SQLite file, NATS and streams,
// the outbox relay, durable consumers, the HTTP edge, and a graceful shutdown.
// A worker's main.ts describes itself with a WorkerDefinition and hands it to runWorker.
import { hostname, setPriority } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { jetstream } from '@nats-io/jetstream'
import { Hono } from 'hono'
import type { Envelope, Producer } from '../../contracts/envelope.ts'
import type { WorkerApi } from '../../contracts/http/openapi.ts'
import { OPS_OPERATIONS } from '../../contracts/http/ops.ts'
import type { EventName } from '../../contracts/registry.ts'
import { type Access, accessConsumer, accessMigrations, replicaAccess } from './access.ts'
import { ownPagesOnly } from './auth.ts'
import { type Config, ConfigError, type Env, loadConfig, type WorkerName } from './config.ts'
import type { ConsumerOptions, EventConsumer, Handlers } from './consumer.ts'
import { describeFault, Health } from './health.ts'
import { jsonOnly, limitBody, notFound, onError, pageHeaders, requestMetrics } from './http.ts'
import { catchingUpGate, confirmedWrites, opsRoutes, type Readiness, readinessGauge, standbyGate, type Writes } from './ops.ts'
import { createLogger, type Logger } from './log.ts'
import { Metrics } from './metrics.ts'
import { processMetrics } from './process-metrics.ts'
import { Duty, RefusedToStart } from './duty.ts'
import { Follower } from './follow.ts'
import { countKeptAnswers } from './kept.ts'
import { Lease } from './lease.ts'
import { type Buckets, connectNats, ensureBuckets, ensureStreams, inboxOf, manager, OWN_STREAM } from './nats.ts'
import { Outbox, type OutboxRelay } from './outbox.ts'
import { referenceRoutes } from './openapi.ts'
import { lastEventOf, readbackName, readToEnd } from './replay.ts'
import { corsFor, KeptMatchRouter, knownRoutes } from './routing.ts'
import { checkpointReporter } from './checkpoints.ts'
import { type Migration, openStore, positions, probeWrite, recordPosition, type Store } from './store.ts'
import { diskWarning, startUpkeep } from './upkeep.ts'
import { styleSources } from './views/layout.tsx'

export type Clock = {
  now: () => Date
  newId: () => string
}

/** What a worker's commands, handlers and queries are given: everything but the broker. */
export type Ctx<DB> = Clock & {
  name: WorkerName
  config: Config
  log: Logger
  metrics: Metrics
  store: Store<DB>
  outbox: Outbox
  /** Whether a verified token's account still stands as the token says (access.ts). */
  access: Access
  /**
   * Reads the stream this worker publishes to from its first event to the last one stored when
   * the read began, a batch at a time, in order (a worker restoring its own past decisions).
   */
  readBack: (handle: (events: Envelope[]) => void) => Promise<number>
  /** The last event of this name (latest version) its stream holds, if any. */
  lastEvent: <N extends EventName>(name: N) => Promise<Envelope<N> | undefined>
  /**
   * What each of the worker's durable consumers has not handled yet, by consumer; rejects
   * while JetStream cannot tell (a worker that must know it has seen everything: the audit).
   */
  consumerLags: () => Promise<Record<string, number>>
}

export type Stoppable = { stop(): Promise<void> | void }

export { RefusedToStart } from './duty.ts'

export type WorkerDefinition<DB> = {
  name: WorkerName & Producer
  migrations: ReadonlyArray<Migration<DB>>
  clock: Clock
  /** Runs once connected, before the outbox relay and the consumers start (a restore). */
  beforeConsuming?: (ctx: Ctx<DB>) => Promise<void> | void
  /**
   * A standby's warm keeping (runtime/follow.ts): brings in the decisions the active instance
   * published, read back through `readBack`, so that the standby may then apply the events
   * whose decisions it holds. A worker without it waits cold and catches up when it takes over.
   */
  follow?: (ctx: Ctx<DB>, readBack: Ctx<DB>['readBack']) => Promise<void>
  /** One durable consumer per group of handlers; its stream, filter and name follow from them. */
  consumes?: (ctx: Ctx<DB>) => Handlers[]
  /**
   * Where the worker learns whether an account still stands as its token says. By default the
   * runtime keeps account_access from accounts.* with a consumer of its own (<worker>-access);
   * auth, which owns the accounts, answers from its own rows instead.
   */
  access?: (ctx: Ctx<DB>) => Access
  /** The worker's own routes; health, metrics and the error shape are added around them. */
  routes?: (ctx: Ctx<DB>) => Hono
  /** Its HTTP surface as contracts/http describes it: served as /openapi.json and /api-docs. */
  api?: WorkerApi
  /** Anything else to start once active (a schedule, a bootstrap); stopped first. */
  start?: (ctx: Ctx<DB>) => Promise<Stoppable | void> | Stoppable | void
  /**
   * Whether one instance at a time may act (the default), by the worker's lease. A worker that
   * only reads (analytics, the audit) may run any number of active instances: each named
   * instance holds a lease of its own (ATES_INSTANCE), so only a second process of the same
   * name — its durables the same — waits as a standby instead of splitting them.
   */
  leased?: boolean
  /**
   * A CPU niceness for the whole process (threads started later inherit it): a worker that only
   * reads and reports yields the processor to those that move money when both have work.
   */
  niceness?: (config: Config) => number
}

/** Knobs for tests and benchmarks; production uses the defaults. */
export type RunOptions = {
  consumer?: Partial<Pick<ConsumerOptions, 'maxDeliver' | 'backoffMs' | 'ackWaitMs' | 'batchSize' | 'maxAckPending'>>
  log?: Logger
}

export type RunningWorker<DB> = {
  ctx: Ctx<DB>
  port: number
  url: string
  app: Hono
  readonly consumers: EventConsumer[]
  readonly relay: OutboxRelay
  /** Whether this instance is the active one (it holds the worker's lease, or needs none). */
  isActive(): boolean
  stop(): Promise<void>
}

export async function runWorker<DB>(
  definition: WorkerDefinition<DB>,
  env: Env = process.env,
  options: RunOptions = {},
): Promise<RunningWorker<DB>> {
  const config = loadConfig(env)
  const { name } = definition
  const log = options.log ?? createLogger({ worker: name, ...(config.instance ? { instance: config.instance } : {}) }, { level: config.logLevel })
  const metrics = new Metrics()
  const keepsAccess = definition.access === undefined
  const migrations = keepsAccess ? [...(accessMigrations as Array<Migration<DB>>), ...definition.migrations] : definition.migrations
  const health = new Health(log, metrics)
  const store = openStore<DB>(join(config.dataDir, `${name}.sqlite`), migrations, checkpointReporter(health, metrics))
  const nc = await connectNats({
    servers: config.natsServers,
    name: config.instance ? `${name}-${config.instance}` : name,
    user: config.natsUser,
    pass: config.natsPass,
    inboxPrefix: inboxOf(name),
    log,
  })
  const jsm = await manager(nc)
  const js = jetstream(nc)
  // Between a disconnect and the reconnect the client only buffers: a write then is refused.
  let reconnecting = false
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') reconnecting = true
      else if (status.type === 'reconnect') reconnecting = false
    }
  })()
  const leaseKey = definition.leased === false ? `${name}.${config.instance ?? 'main'}` : name
  let buckets: Buckets | undefined
  try {
    await ensureStreams(jsm, config.streamReplicas)
    buckets = await ensureBuckets(nc, config.streamReplicas, config.leaseTtlSeconds * 1000)
  } catch (error) {
    await nc.close().catch(() => undefined)
    store.close()
    throw error
  }
  const outbox = new Outbox(store as Store<unknown>, name, definition.clock.now, definition.clock.newId)
  /** Reads the worker's own stream on from where the database stands, through the consumer `through`. */
  const readBackThrough = async (through: string, handle: (events: Envelope[]) => void) => {
    const own = OWN_STREAM[name]
    if (!own) throw new Error(`${name} publishes to no stream of its own`)
    const from = positions(ctx.store as Store<unknown>).get(own)
    return readToEnd(js, jsm, own, handle, {
      ...(from === undefined ? {} : { fromSeq: from + 1 }),
      name: through,
      handled: (seq) => recordPosition(ctx.store as Store<unknown>, own, seq),
    })
  }
  const readBack = (handle: (events: Envelope[]) => void) => readBackThrough(readbackName(name), handle)
  const lastEvent = <N extends EventName>(event: N) => lastEventOf(jsm, event)
  const consumerLags = async () => Object.fromEntries(await Promise.all(duty.consumers.map(async (c) => [c.name, await c.lag()] as const)))
  // Who a token speaks for, as far as this worker knows: auth answers from its own accounts,
  // every other worker from the account_access its runtime consumer keeps.
  let access: Access = replicaAccess(() => ctx.store as Store<unknown>)
  const ctx: Ctx<DB> = { ...definition.clock, name, config, log, metrics, store, outbox, access: (token) => access(token), readBack, lastEvent, consumerLags }
  if (definition.access) access = definition.access(ctx)

  const lease = buckets
    ? new Lease({ kv: buckets.leases, worker: leaseKey, instance: config.instance ?? hostname(), url: config.publicUrls[name], ttlMs: config.leaseTtlSeconds * 1000, log, now: definition.clock.now })
    : undefined
  const active = () => lease?.held() ?? true
  const duty = new Duty({
    definition: { ...definition, migrations },
    ctx,
    health,
    metrics,
    nc,
    js,
    jsm,
    options,
    active,
    epochs: buckets?.epochs,
    epochKey: leaseKey,
    runtimeReads: keepsAccess ? () => [accessConsumer(name, ctx.store as Store<unknown>, config.instance)] : undefined,
    overtaken: (reason) => void lease?.surrender(`overtaken (${reason})`),
  })
  // A standby of a worker that can follow keeps its database warm (runtime/follow.ts).
  const follower =
    lease && definition.follow
      ? new Follower({ ctx, js, jsm, follow: definition.follow, reads: () => duty.reads(), readBack: readBackThrough, log })
      : undefined
  const upkeep = startUpkeep({ worker: name, store: () => ctx.store as Store<unknown>, jsm, config, health, metrics, log })

  const lagGauge = metrics.gauge('ates_consumer_lag', 'Events not yet handled by a durable consumer')
  const lags = async () => {
    const found = await consumerLags()
    for (const [consumer, lag] of Object.entries(found)) lagGauge.set({ consumer }, lag)
    return found
  }
  const stopProcessMetrics = processMetrics(metrics)
  const standbyGauge = metrics.gauge('ates_instance_active', 'Whether this instance is the active one of its worker (1) or a standby (0)')
  metrics.collect(() => standbyGauge.set({}, active() ? 1 : 0))

  const readiness: Readiness = {
    nats: () => !nc.isClosed() && !nc.isDraining(),
    database: () => {
      // A worker may go on writing on a full disk for a while (its WAL is reused once
      // checkpointed), until the database file itself needs to grow: the disk is told apart.
      health.warn('database disk', diskWarning(config.dataDir))
      try {
        // A standby's probe only reads (it writes only what it follows, runtime/follow.ts).
        if (active()) probeWrite(ctx.store as Store<unknown>, Date.now())
        else ctx.store.sqlite.prepare('SELECT 1').get()
        health.ok('database')
        return true
      } catch (error) {
        health.fail('database', describeFault(error))
        return false
      }
    },
    lags,
    health,
    standby: lease && (() => (lease.held() ? undefined : lease.holder().then((holder) => holder ?? null))),
    following: follower && (() => (lease?.held() ? undefined : follower.state)),
    catchingUp: () => duty.catchingUp(),
  }
  readinessGauge(metrics, name, readiness)
  const app = httpApp(definition, ctx, readiness, {
    connected: () => !nc.isClosed() && !nc.isDraining() && nc.info !== undefined && !reconnecting,
    stored: (ms) => duty.relay.flushed(ms),
  })

  let server: Server | undefined
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      log.info('worker stopping')
      upkeep.stop()
      stopProcessMetrics()
      if (server) {
        const open = server
        await new Promise<void>((resolve) => {
          open.close(() => resolve())
          open.closeAllConnections?.()
        })
      }
      const wasActive = active()
      await follower?.close()
      await duty.deactivate()
      if (wasActive) await duty.relay.flushed(2000).catch(() => undefined)
      await duty.relay.stop()
      await lease?.release()
      await nc.drain().catch(() => undefined)
      ctx.store.close()
      log.info('worker stopped')
    })()
    return stopping
  }

  try {
    if (lease) {
      // Becoming active reads on from the streams; losing the lease stops everything at once.
      lease.onWon = async () => {
        await follower?.stop()
        await duty.activate().catch(async (error: unknown) => {
          // What no retry can mend (a refusal, a wrong configuration) ends the worker.
          if (error instanceof RefusedToStart || error instanceof ConfigError) throw error
          log.error('could not become active: giving the lease up to try again', { error: describeFault(error) })
          await duty.deactivate()
          await lease.giveUp()
          follower?.start()
        })
      }
      lease.onLost = async () => {
        await duty.deactivate()
        if (!stopping) follower?.start()
      }
      await lease.start()
      if (!lease.held()) follower?.start()
    } else {
      await duty.activate()
    }
  } catch (error) {
    // A worker that cannot start leaves nothing running behind it.
    await stop()
    throw error
  }
  // Listening once active (or a standby): a worker that answers /healthz has its state.
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.ports[name], hostname: '0.0.0.0' }, () => resolve(s as Server))
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`
  log.info(active() ? 'worker started' : 'worker started as a standby', { port, nats: config.natsServers, db: ctx.store.file })
  return {
    ctx,
    port,
    url,
    app,
    get consumers() {
      return duty.consumers
    },
    get relay() {
      return duty.relay
    },
    isActive: active,
    stop,
  }
}

/**
 * A worker's HTTP edge: the error shape, request metrics, the body limit, 404 and 405 before
 * anything else, CORS, JSON-only writes to the API, the operational routes, the OpenAPI
 * document and its reference page, then the worker's own routes.
 */
export function httpApp<DB>(definition: WorkerDefinition<DB>, ctx: Ctx<DB>, readiness: Readiness, writes?: Writes): Hono {
  const app = new Hono({ router: new KeptMatchRouter() })
  app.onError(onError(ctx.log, readiness.health))
  app.notFound(notFound)
  app.use('*', requestMetrics(ctx.metrics, definition.name))
  countKeptAnswers(ctx.metrics)
  app.use('*', pageHeaders({ origins: Object.values(ctx.config.publicUrls), selfUrl: ctx.config.publicUrls[definition.name], styles: styleSources }))
  app.use('*', limitBody())
  if (ctx.config.corsOrigins.length > 0) app.use('*', corsFor(ctx.config.corsOrigins))
  app.use('*', knownRoutes(app))
  // A cross-site write is refused as such (403) before its body's type is looked at (415).
  app.use('*', ownPagesOnly(Object.values(ctx.config.publicUrls)))
  app.use('/api/*', jsonOnly())
  app.route('/', opsRoutes(ctx.metrics, readiness))
  if (readiness.standby) app.use('*', standbyGate(readiness.standby))
  if (readiness.catchingUp) app.use('*', catchingUpGate(readiness.catchingUp))
  if (writes) app.use('*', confirmedWrites(writes))
  app.route('/', referenceRoutes(definition.api ?? { worker: definition.name, title: `aTES ${definition.name}`, description: '', operations: OPS_OPERATIONS }, ctx.config.publicUrls[definition.name]))
  if (definition.routes) app.route('/', definition.routes(ctx))
  return app
}

/** Runs a worker as a process: starts it, and stops it gracefully on SIGTERM or SIGINT. */
export async function runMain<DB>(definition: WorkerDefinition<DB>): Promise<void> {
  let worker: RunningWorker<DB>
  try {
    // Before anything starts, so every thread the worker makes later runs at the same priority.
    if (definition.niceness) setPriority(definition.niceness(loadConfig(process.env)))
    worker = await runWorker(definition)
  } catch (error) {
    process.stderr.write(`${definition.name} failed to start: ${(error as Error).message}\n`)
    process.exit(1)
  }
  // Every infrastructure fault is met where it happens and retried; what still escapes is a
  // fault the worker cannot survive: it says so and exits, and its supervisor starts it again.
  const fatal = (kind: string) => (error: unknown) => {
    worker.ctx.log.error(`unrecoverable fault (${kind}): exiting`, { error: describeFault(error) })
    process.exit(1)
  }
  process.on('uncaughtException', fatal('uncaught exception'))
  process.on('unhandledRejection', fatal('unhandled rejection'))
  const shutdown = (signal: string) => {
    worker.ctx.log.info('signal received', { signal })
    worker.stop().then(
      () => process.exit(0),
      (error) => {
        worker.ctx.log.error('shutdown failed', { error })
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
}
