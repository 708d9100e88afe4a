// The system a benchmark drives: nats-server and every worker as its own process (the test
// fixture), accounts published to ACCOUNTS the way auth's outbox publishes them, and a token
// issuer whose JWKS the workers trust, so each of 10k accounts can call the APIs as itself.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { makeEnvelope } from '../../contracts/envelope.ts'
import type { Role } from '../../workers/runtime/auth.ts'
import { connectNats, manager, type StreamName } from '../../workers/runtime/nats.ts'
import { allPages, api, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { startTestIssuer, type TestIssuer } from '../../workers/runtime/testing/tokens.ts'
import { builtEntrypoint, buildWorkers, WORKER_ENV, WORKER_NODE_ARGS } from '../lib/build.ts'
import { root } from '../lib/stack.ts'
import { progress } from './report.ts'

export type World = {
  system: System
  issuer: TestIssuer
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  popugs: string[]
  admin: string
  manager: string
  /** A popug's token (signed once, then kept). */
  tokenOf(accountId: string): Promise<string>
  stop(): Promise<void>
}

export async function startWorld(popugCount: number, nodeArgs: string[] = []): Promise<World> {
  // The workers are measured as they run in production: compiled, on plain node.
  await buildWorkers()
  const issuer = await startTestIssuer()
  const system = await startSystem({
    entrypoint: (worker) => join(root, builtEntrypoint(worker)),
    // The schedule is left out of the way: a run that crosses midnight closes only on request.
    env: { ...WORKER_ENV, ATES_AUTH_URL: issuer.url, ATES_CLOSE_CRON: '0 0 1 1 *' },
    nodeArgs: [...WORKER_NODE_ARGS, ...nodeArgs],
  })
  // The raw baselines connect as the workers do (no async traces), so neither side is handicapped.
  const nc = await connectNats({ servers: [system.nats.url], name: 'bench' })
  const js = jetstream(nc)
  const jsm = await manager(nc)
  const adminId = randomUUID()
  const managerId = randomUUID()
  const popugs = Array.from({ length: popugCount }, () => randomUUID())
  await publishAccounts(js, [
    { account_id: adminId, role: 'admin', name: 'Bench Admin' },
    { account_id: managerId, role: 'manager', name: 'Bench Manager' },
    ...popugs.map((id, i) => ({ account_id: id, role: 'popug' as const, name: `Popug ${i + 1}` })),
  ])
  progress(`published ${popugCount + 2} accounts; waiting for tasks, billing and close to replicate them`)
  await system.settled(10 * 60_000)
  const tokens = new Map<string, Promise<string>>()
  return {
    system,
    issuer,
    nc,
    js,
    jsm,
    popugs,
    admin: await issuer.token({ id: adminId, role: 'admin', name: 'Bench Admin' }),
    manager: await issuer.token({ id: managerId, role: 'manager', name: 'Bench Manager' }),
    tokenOf(accountId) {
      let token = tokens.get(accountId)
      if (!token) {
        token = issuer.token({ id: accountId, role: 'popug', name: accountId })
        tokens.set(accountId, token)
      }
      return token
    },
    async stop() {
      await nc.close().catch(() => undefined)
      await system.stop()
      await issuer.stop()
    },
  }
}

/** accounts.created events, pipelined in windows of 1000, with Nats-Msg-Id = event_id. */
async function publishAccounts(js: JetStreamClient, accounts: Array<{ account_id: string; role: Role; name: string }>) {
  for (let i = 0; i < accounts.length; i += 1000) {
    await Promise.all(
      accounts.slice(i, i + 1000).map((a) => {
        const { subject, envelope } = makeEnvelope({
          name: 'accounts.created',
          data: { ...a, email: `${a.account_id}@bench.ates.local`, active: true },
          eventId: randomUUID(),
          time: new Date(),
          producer: 'auth',
        })
        return js.publish(subject, JSON.stringify(envelope), { msgID: envelope.event_id })
      }),
    )
  }
}

/** How many messages a stream holds on the subjects matching `filter`. */
export async function stored(jsm: JetStreamManager, stream: StreamName, filter = '>'): Promise<number> {
  const info = await jsm.streams.info(stream, { subjects_filter: filter })
  return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0)
}

/** Fails the run: a fast but wrong result is no result. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`)
}

/**
 * Polls `current` until it reaches `expected`, showing progress every few seconds. More than
 * expected is a failure (something was counted twice).
 */
export async function until(what: string, current: () => Promise<number>, expected: number, timeoutMs = 20 * 60_000): Promise<void> {
  const start = performance.now()
  let lastShown = start
  let last = -1
  let first: number | undefined
  for (;;) {
    const now = await current()
    first ??= now
    if (now > expected) throw new Error(`check failed: ${what}: ${now} where ${expected} were expected`)
    if (now === expected) return
    const elapsed = performance.now() - start
    if (performance.now() - lastShown >= 3000) {
      const rate = (now - first) / (elapsed / 1000)
      progress(`  ${what}: ${now.toLocaleString('en-US')} / ${expected.toLocaleString('en-US')} (${Math.round(rate).toLocaleString('en-US')}/s)`)
      lastShown = performance.now()
    }
    if (elapsed > timeoutMs) throw new Error(`timed out: ${what} at ${now} of ${expected} (was ${last})`)
    last = now
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** A JSON call that must succeed. */
export async function call<T>(url: string, token: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const { status, body } = await api<T>(url, token, init)
  if (status >= 300) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`)
  return body
}

/** Runs fn over items with at most `concurrency` in flight, showing progress every few seconds. */
export async function pool<T, R>(what: string, items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  let done = 0
  const start = performance.now()
  const timer = setInterval(() => {
    const rate = done / ((performance.now() - start) / 1000)
    progress(`  ${what}: ${done.toLocaleString('en-US')} / ${items.length.toLocaleString('en-US')} (${Math.round(rate).toLocaleString('en-US')}/s)`)
  }, 3000)
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, items.length) }, async () => {
        while (next < items.length) {
          const i = next++
          out[i] = await fn(items[i]!)
          done++
        }
      }),
    )
  } finally {
    clearInterval(timer)
  }
  return out
}

type Earnings = { open_day: string; days: Array<{ business_day: string; management_earnings: number }> }
type Today = { business_day: string; management_earnings: number; accounts_negative: number }
type Accounts = { accounts: Array<{ account_id: string; balance: number }> }

/** billing's balances, as its API shows them to an admin (every page). */
export async function balances(world: World): Promise<Accounts['accounts']> {
  return (await allPages<Accounts['accounts'][number]>(`${world.system.urls.billing}/api/accounts`, world.admin, 'accounts')).items
}

/** Once caught up, analytics tells the open day as billing does: same earnings, same accounts below zero. */
export async function checkAgreement(world: World): Promise<void> {
  const { urls } = world.system
  const earnings = await call<Earnings>(`${urls.billing}/api/management/earnings`, world.admin)
  const today = await call<Today>(`${urls.analytics}/api/analytics/today`, world.admin)
  const open = earnings.days.find((d) => d.business_day === earnings.open_day)
  check(today.business_day === earnings.open_day, `analytics' day ${today.business_day} is billing's ${earnings.open_day}`)
  check(today.management_earnings === open?.management_earnings, `analytics earnings ${today.management_earnings} = billing's ${open?.management_earnings}`)
  const negative = (await balances(world)).filter((a) => a.balance < 0).length
  check(today.accounts_negative === negative, `analytics sees ${today.accounts_negative} accounts below zero, billing ${negative}`)
  check((await stored(world.jsm, 'DLQ')) === 0, 'no dead letters')
}
