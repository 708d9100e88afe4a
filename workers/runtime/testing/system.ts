// The whole system for end-to-end tests: a real nats-server and every worker as its own
// process (so a test can SIGKILL one and start it again), on free ports, with temp data.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { WORKERS, type WorkerName } from '../config.ts'
import { freePort, type NatsFixture, startNats } from './nats-server.ts'
import { tempDir, waitFor } from './helpers.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))

export const ADMIN = { email: 'admin@ates.test', beak: 'admin-beak-for-tests' }

export type SystemOptions = {
  /** Extra environment for every worker (ATES_TZ, ATES_CLOSE_CRON, ATES_SMTP_URL…). */
  env?: Record<string, string>
  /** Extra environment for one worker (its own data dir, say). */
  workerEnv?: Partial<Record<WorkerName, Record<string, string>>>
  workers?: readonly WorkerName[]
  /** Show the workers' logs (for debugging a test). */
  logs?: boolean
  /** Extra node arguments for every worker (e.g. --cpu-prof when profiling). */
  nodeArgs?: string[]
  /**
   * The file each worker runs: by default its source through tsx (never stale); a benchmark
   * gives the compiled .js (scripts/lib/build.ts), which plain node runs as production does.
   */
  entrypoint?: (worker: WorkerName) => string
}

/** NATS run by the test itself (a cluster): no server is started, and none is stopped. */
export type ExternalNats = {
  /** Every server; each worker is given them all. */
  servers: string[]
  /** Each worker's own NATS user (deploy/nats/users.conf); the streams must exist already. */
  users?: Partial<Record<WorkerName, { user: string; pass: string }>>
  /** Replicas of each stream (ATES_STREAM_REPLICAS). */
  replicas?: number
}

export type System<Nats extends NatsFixture | undefined = NatsFixture> = {
  /** The server started for the system; undefined on external NATS. */
  nats: Nats
  natsServers: string[]
  urls: Record<WorkerName, string>
  env: Record<string, string>
  dataDir: string
  /** SIGKILL a worker, as a crash would. */
  kill(worker: WorkerName): Promise<void>
  /** SIGTERM a worker and wait for its graceful exit. */
  stopWorker(worker: WorkerName): Promise<void>
  /** Starts a worker and waits for its /healthz (a worker restoring a long stream answers late). */
  start(worker: WorkerName, timeoutMs?: number): Promise<void>
  /** The process id of a running worker (benchmarks read its memory from /proc). */
  pid(worker: WorkerName): number | undefined
  /** SIGSTOP: the process freezes with its connections open (a stall, not a crash); SIGCONT resumes it. */
  freeze(worker: WorkerName): void
  thaw(worker: WorkerName): void
  /** Resolves when every running worker's consumers have caught up and its outbox is empty. */
  settled(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export function startSystem(options?: SystemOptions): Promise<System>
export function startSystem(options: SystemOptions & { external: ExternalNats }): Promise<System<undefined>>
export async function startSystem(options: SystemOptions & { external?: ExternalNats } = {}): Promise<System<NatsFixture | undefined>> {
  const nats = options.external ? undefined : await startNats({ local: true })
  const natsServers = options.external?.servers ?? [nats!.url]
  const data = tempDir('ates-system-')
  const workers = options.workers ?? WORKERS
  const ports = Object.fromEntries(await Promise.all(WORKERS.map(async (w) => [w, await freePort()] as const))) as Record<
    WorkerName,
    number
  >
  const urls = Object.fromEntries(WORKERS.map((w) => [w, `http://localhost:${ports[w]}`])) as Record<WorkerName, string>
  const env: Record<string, string> = {
    ATES_NATS_URL: natsServers.join(','),
    ...(options.external?.replicas ? { ATES_STREAM_REPLICAS: String(options.external.replicas) } : {}),
    ATES_DATA_DIR: data.path,
    ATES_ADMIN_EMAIL: ADMIN.email,
    ATES_ADMIN_BEAK: ADMIN.beak,
    ATES_LOG_LEVEL: options.logs ? 'info' : 'warn',
    ...Object.fromEntries(WORKERS.flatMap((w) => [[`ATES_${w.toUpperCase()}_PORT`, String(ports[w])], [`ATES_${w.toUpperCase()}_URL`, urls[w]]])),
    ...options.env,
  }
  const running = new Map<WorkerName, ChildProcess>()

  const start = async (worker: WorkerName, timeoutMs = 30_000) => {
    const user = options.external?.users?.[worker]
    const file = options.entrypoint?.(worker) ?? `${root}workers/${worker}/main.ts`
    const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : []
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, file], {
      env: { ...process.env, ...env, ...options.workerEnv?.[worker], ...(user ? { ATES_NATS_USER: user.user, ATES_NATS_PASS: user.pass } : {}) },
      stdio: ['ignore', options.logs ? 'inherit' : 'ignore', 'inherit'],
    })
    running.set(worker, proc)
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`${worker} exited with ${proc.exitCode}`)
        try {
          return (await fetch(`${urls[worker]}/healthz`)).ok
        } catch {
          return false
        }
      },
      `${worker} to answer /healthz`,
      timeoutMs,
    )
  }

  const signal = async (worker: WorkerName, sig: NodeJS.Signals) => {
    const proc = running.get(worker)
    running.delete(worker)
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill(sig)
      // A frozen process handles nothing but SIGKILL until it is continued.
      if (sig !== 'SIGKILL') proc.kill('SIGCONT')
    })
  }

  const stop = async () => {
    await Promise.all([...running.keys()].map((w) => signal(w, 'SIGTERM')))
    await nats?.stop()
    data.remove()
  }

  try {
    // auth first: the others fetch its JWKS, and its first start creates the admin.
    if (workers.includes('auth')) await start('auth')
    await Promise.all(workers.filter((w) => w !== 'auth').map((w) => start(w)))
  } catch (error) {
    // A worker that did not come up leaves no process of the system behind.
    await stop()
    throw error
  }

  return {
    nats,
    natsServers,
    urls,
    env,
    dataDir: data.path,
    kill: (worker) => signal(worker, 'SIGKILL'),
    stopWorker: (worker) => signal(worker, 'SIGTERM'),
    start,
    pid: (worker) => running.get(worker)?.pid,
    freeze: (worker) => void running.get(worker)?.kill('SIGSTOP'),
    thaw: (worker) => void running.get(worker)?.kill('SIGCONT'),
    settled: async (timeoutMs = 60_000) => {
      // Quiet means: every consumer caught up, every outbox relayed, and nothing handled or
      // published since the previous look (an event in flight between two workers moves a counter).
      let previous: string | undefined
      let looks: Look[] = []
      try {
        await waitFor(
          async () => {
            looks = await Promise.all([...running].map(([worker, proc]) => lookAt(worker, proc, urls[worker])))
            const signature = looks.every((l) => l.moved !== undefined) ? looks.map((l) => l.moved).join(',') : undefined
            const quiet = signature !== undefined && signature === previous
            previous = signature
            return quiet
          },
          'every consumer caught up and every outbox relayed',
          timeoutMs,
        )
      } catch (error) {
        // Which worker was not quiet, and why: what a failed run must show.
        const why = looks.map((l) => `${l.worker}: ${l.moved !== undefined ? `quiet at ${l.moved}` : l.busy}`).join('; ')
        throw new Error(`${(error as Error).message}; last look: ${why}`)
      }
    },
    stop,
  }
}

/** One worker seen by settled(): its progress counters when quiet, else why it is not. */
type Look = { worker: string; moved?: number; busy?: string }

/** A worker's progress counters when it is caught up with an empty outbox; otherwise why not. */
async function lookAt(worker: string, proc: ChildProcess, url: string): Promise<Look> {
  if (proc.exitCode !== null || proc.signalCode !== null) return { worker, busy: `exited (${proc.exitCode ?? proc.signalCode})` }
  try {
    const ready = await fetch(`${url}/readyz?max_lag=0`)
    if (ready.status !== 200) return { worker, busy: `/readyz ${ready.status} ${await ready.text()}` }
    const metrics = (await (await fetch(`${url}/metrics`)).text()).split('\n')
    const value = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1))
    const pending = metrics.filter((line) => line.startsWith('ates_outbox_pending') && value(line) !== 0)
    if (pending.length) return { worker, busy: pending.join(' ') }
    return { worker, moved: metrics.filter((line) => /^ates_(outbox_published|consumer_events)_total/.test(line)).reduce((sum, line) => sum + value(line), 0) }
  } catch (error) {
    return { worker, busy: String(error) }
  }
}

/** Logs in through auth's API and returns the bearer token. */
export async function login(authUrl: string, email: string, beak: string): Promise<string> {
  const response = await fetch(`${authUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, beak }),
  })
  if (!response.ok) throw new Error(`login of ${email} failed: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { token: string }).token
}

/** A JSON call with a bearer token; returns status and parsed body. */
export async function api<T = unknown>(
  url: string,
  token: string | undefined,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
}

/**
 * A paged list read whole (200 a page, following next_cursor): the first page as it came, and
 * every item under `key` of every page.
 */
export async function allPages<T, K extends string = string>(url: string, token: string, key: K): Promise<{ first: Record<string, unknown>; items: T[] }> {
  const items: T[] = []
  let first: Record<string, unknown> | undefined
  let cursor: string | null = null
  do {
    const page = await api<Record<string, unknown>>(`${url}${url.includes('?') ? '&' : '?'}limit=200${cursor ? `&cursor=${cursor}` : ''}`, token)
    if (page.status !== 200) throw new Error(`GET ${url}: ${page.status} ${JSON.stringify(page.body)}`)
    first ??= page.body
    items.push(...(page.body[key] as T[]))
    cursor = page.body.next_cursor as string | null
  } while (cursor)
  return { first, items }
}
