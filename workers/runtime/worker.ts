// The lifecycle every worker shares: config, logs, its SQLite file, NATS and streams,
// the outbox relay, durable consumers, the HTTP edge, and a graceful shutdown.
// A worker's main.ts describes itself with a WorkerDefinition and hands it to runWorker.
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { jetstream } from '@nats-io/jetstream'
import { Hono } from 'hono'
import { decodeEvent, type Envelope, type Producer } from '../../contracts/envelope.ts'
import { type Access, accessConsumer, accessMigrations, replicaAccess } from './access.ts'
import { type EventName, subjectOf } from '../../contracts/registry.ts'
import { type Config, type Env, loadConfig, type WorkerName } from './config.ts'
import { type ConsumerOptions, EventConsumer, type Handlers, subscriptionOf } from './consumer.ts'
import { ownPagesOnly } from './auth.ts'
import { limitBody, notFound, onError, opsRoutes, pageHeaders, requestMetrics } from './http.ts'
import { createLogger, type Logger } from './log.ts'
import { Metrics } from './metrics.ts'
import { connectNats, ensureStreams, inboxOf, isNotFound, manager, OWN_STREAM, streamOf } from './nats.ts'
import { Outbox, OutboxRelay } from './outbox.ts'
import { readbackName, readToEnd } from './replay.ts'
import { styleSources } from './views/layout.tsx'
import { type Migration, openStore, type Store } from './store.ts'

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
}

export type Stoppable = { stop(): Promise<void> | void }

export type WorkerDefinition<DB> = {
  name: WorkerName & Producer
  migrations: ReadonlyArray<Migration<DB>>
  clock: Clock
  /** Runs once connected, before the outbox relay and the consumers start (a restore). */
  beforeConsuming?: (ctx: Ctx<DB>) => Promise<void> | void
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
  /** Anything else to start once connected (a schedule, a bootstrap); stopped first. */
  start?: (ctx: Ctx<DB>) => Promise<Stoppable | void> | Stoppable | void
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
  consumers: EventConsumer[]
  relay: OutboxRelay
  stop(): Promise<void>
}

export async function runWorker<DB>(
  definition: WorkerDefinition<DB>,
  env: Env = process.env,
  options: RunOptions = {},
): Promise<RunningWorker<DB>> {
  const config = loadConfig(env)
  const { name } = definition
  const log = options.log ?? createLogger({ worker: name }, { level: config.logLevel })
  const metrics = new Metrics()
  const keepsAccess = definition.access === undefined
  const migrations = keepsAccess ? [...(accessMigrations as Array<Migration<DB>>), ...definition.migrations] : definition.migrations
  const store = openStore<DB>(join(config.dataDir, `${name}.sqlite`), migrations)
  const nc = await connectNats({
    servers: config.natsServers,
    name,
    user: config.natsUser,
    pass: config.natsPass,
    inboxPrefix: inboxOf(name),
    log,
  })
  const jsm = await manager(nc)
  await ensureStreams(jsm, config.streamReplicas)
  const js = jetstream(nc)
  const outbox = new Outbox(store as Store<unknown>, name, definition.clock.now, definition.clock.newId)
  const relay = new OutboxRelay({ store: store as Store<unknown>, nc, log, metrics })
  outbox.onEmit = () => relay.kick()
  const readBack = (handle: (events: Envelope[]) => void) => {
    const own = OWN_STREAM[name]
    if (!own) throw new Error(`${name} publishes to no stream of its own`)
    return readToEnd(js, jsm, own, handle, { name: readbackName(name) })
  }
  const lastEvent = async <N extends EventName>(event: N): Promise<Envelope<N> | undefined> => {
    const subject = subjectOf(event)
    try {
      const msg = await jsm.streams.getMessage(streamOf(subject), { last_by_subj: subject })
      const decoded = msg && decodeEvent(subject, msg.data)
      return decoded && decoded.ok ? (decoded.event as Envelope<N>) : undefined
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw error
    }
  }
  let access: Access = replicaAccess(store as Store<unknown>)
  const ctx: Ctx<DB> = { ...definition.clock, name, config, log, metrics, store, outbox, access: (token) => access(token), readBack, lastEvent }
  if (definition.access) access = definition.access(ctx)

  const consumers: EventConsumer[] = []
  let extra: Stoppable | undefined
  try {
    await definition.beforeConsuming?.(ctx)
    relay.start()
    const reads = [
      ...(keepsAccess ? [accessConsumer(name, store as Store<unknown>)] : []),
      ...(definition.consumes?.(ctx) ?? []).map((handlers) => ({ ...subscriptionOf(name, handlers), handlers })),
    ]
    for (const read of reads) {
      consumers.push(
        new EventConsumer({
          ...read,
          ...options.consumer,
          worker: name,
          store: store as Store<unknown>,
          js,
          jsm,
          log,
          metrics,
          afterCommit: () => relay.kick(),
        }),
      )
    }
    for (const consumer of consumers) await consumer.start()
    extra = (await definition.start?.(ctx)) ?? undefined
  } catch (error) {
    // A worker that cannot start leaves nothing running behind it.
    for (const consumer of consumers) await consumer.stop().catch(() => undefined)
    await relay.stop()
    await nc.close().catch(() => undefined)
    store.close()
    throw error
  }

  const lagGauge = metrics.gauge('ates_consumer_lag', 'Events not yet handled by a durable consumer')
  const lags = async () => {
    const entries = await Promise.all(consumers.map(async (c) => [c.name, await c.lag()] as const))
    for (const [consumer, lag] of entries) lagGauge.set({ consumer }, lag)
    return Object.fromEntries(entries)
  }
  const resident = metrics.gauge('ates_process_resident_memory_bytes', 'Resident set size')
  const memory = metrics.gauge('ates_process_memory_bytes', 'Memory of the process besides its RSS: heap_used and heap_total (JavaScript heap), external (buffers and native objects)')
  metrics.collect(() => {
    const usage = process.memoryUsage()
    resident.set({}, usage.rss)
    memory.set({ kind: 'heap_used' }, usage.heapUsed)
    memory.set({ kind: 'heap_total' }, usage.heapTotal)
    memory.set({ kind: 'external' }, usage.external)
  })

  const app = new Hono()
  app.onError(onError(log))
  app.notFound(notFound)
  app.use('*', requestMetrics(metrics))
  app.use('*', pageHeaders({ origins: Object.values(config.publicUrls), selfUrl: config.publicUrls[name], styles: styleSources }))
  app.use('*', limitBody())
  app.use('*', ownPagesOnly(Object.values(config.publicUrls)))
  app.route(
    '/',
    opsRoutes(metrics, {
      nats: () => !nc.isClosed() && !nc.isDraining(),
      database: () => {
        try {
          return store.sqlite.prepare('SELECT 1').pluck().get() === 1
        } catch {
          return false
        }
      },
      lags,
    }),
  )
  if (definition.routes) app.route('/', definition.routes(ctx))

  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.ports[name], hostname: '0.0.0.0' }, () => resolve(s as Server))
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`
  log.info('worker started', { port, nats: config.natsServers, db: store.file })

  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= (async () => {
      log.info('worker stopping')
      await extra?.stop()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections?.()
      })
      for (const consumer of consumers) await consumer.stop()
      await relay.flushed(2000).catch(() => undefined)
      await relay.stop()
      await nc.drain().catch(() => undefined)
      store.close()
      log.info('worker stopped')
    })()
    return stopping
  }
  return { ctx, port, url, app, consumers, relay, stop }
}

/** Runs a worker as a process: starts it, and stops it gracefully on SIGTERM or SIGINT. */
export async function runMain<DB>(definition: WorkerDefinition<DB>): Promise<void> {
  let worker: RunningWorker<DB>
  try {
    worker = await runWorker(definition)
  } catch (error) {
    process.stderr.write(`${definition.name} failed to start: ${(error as Error).message}\n`)
    process.exit(1)
  }
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
