// A worker's context without a broker: its store (in memory by default), an outbox that only
// collects, a clock and ids of the test's choosing. For handler and command tests that need
// SQLite but no nats-server.
import { randomUUID } from 'node:crypto'
import type { Envelope, Producer } from '../../../contracts/envelope.ts'
import { accessMigrations, replicaAccess } from '../access.ts'
import { loadConfig, type Env } from '../config.ts'
import { silentLogger } from '../log.ts'
import { Metrics } from '../metrics.ts'
import { Outbox } from '../outbox.ts'
import { type Migration, openStore, type Store } from '../store.ts'
import type { Ctx } from '../worker.ts'

export type TestContextOptions = {
  file?: string
  now?: () => Date
  newId?: () => string
  env?: Env
  /** What the worker's own stream holds, for readBack (empty by default). */
  ownStream?: Envelope[]
  /** What consumerLags answers (by default: no consumers, so nothing pending). */
  consumerLags?: () => Promise<Record<string, number>>
}

export function testContext<DB>(name: Producer, migrations: ReadonlyArray<Migration<DB>>, options: TestContextOptions = {}): Ctx<DB> {
  const store = openStore<DB>(options.file ?? ':memory:', [...(accessMigrations as Array<Migration<DB>>), ...migrations])
  const now = options.now ?? (() => new Date())
  const newId = options.newId ?? randomUUID
  return {
    name,
    config: loadConfig(options.env ?? {}),
    log: silentLogger,
    metrics: new Metrics(),
    store,
    outbox: new Outbox(store as Store<unknown>, name, now, newId),
    access: replicaAccess(() => store as Store<unknown>),
    now,
    newId,
    lastEvent: async (name) => (options.ownStream ?? []).filter((e) => e.event_name === name).at(-1) as never,
    readBack: async (handle) => {
      const events = options.ownStream ?? []
      if (events.length > 0) handle(events)
      return events.length
    },
    consumerLags: options.consumerLags ?? (async () => ({})),
  }
}

/** The events a context's outbox holds, in order: what its commands and handlers emitted. */
export function emitted<DB>(ctx: Ctx<DB>): Array<{ subject: string; event_id: string; data: Record<string, unknown> }> {
  return (ctx.store.prepare('SELECT subject, event_id, payload FROM outbox ORDER BY seq').all() as Array<{ subject: string; event_id: string; payload: string }>).map(
    (row) => ({ subject: row.subject, event_id: row.event_id, data: (JSON.parse(row.payload) as { data: Record<string, unknown> }).data }),
  )
}

/** Takes what a context's outbox holds, in order, as its relay would: for tests that carry events between workers themselves. */
export function drainOutbox<DB>(ctx: Ctx<DB>): Envelope[] {
  return ctx.store.tx(() => {
    const rows = ctx.store.prepare('SELECT seq, payload FROM outbox ORDER BY seq').all() as Array<{ seq: number; payload: string }>
    if (rows.length > 0) ctx.store.prepare('DELETE FROM outbox WHERE seq <= ?').run(rows.at(-1)!.seq)
    return rows.map((row) => JSON.parse(row.payload) as Envelope)
  })
}
