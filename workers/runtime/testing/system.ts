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
  workers?: readonly WorkerName[]
  /** Show the workers' logs (for debugging a test). */
  logs?: boolean
  /** Extra node arguments for every worker (e.g. --cpu-prof when profiling). */
  nodeArgs?: string[]
}

export type System = {
  nats: NatsFixture
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
  /** Resolves when every running worker's consumers have caught up. */
  settled(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const nats = await startNats({ local: true })
  const data = tempDir('ates-system-')
  const workers = options.workers ?? WORKERS
  const ports = Object.fromEntries(await Promise.all(WORKERS.map(async (w) => [w, await freePort()] as const))) as Record<
    WorkerName,
    number
  >
  const urls = Object.fromEntries(WORKERS.map((w) => [w, `http://localhost:${ports[w]}`])) as Record<WorkerName, string>
  const env: Record<string, string> = {
    ATES_NATS_URL: nats.url,
    ATES_DATA_DIR: data.path,
    ATES_ADMIN_EMAIL: ADMIN.email,
    ATES_ADMIN_BEAK: ADMIN.beak,
    ATES_LOG_LEVEL: options.logs ? 'info' : 'warn',
    ...Object.fromEntries(WORKERS.flatMap((w) => [[`ATES_${w.toUpperCase()}_PORT`, String(ports[w])], [`ATES_${w.toUpperCase()}_URL`, urls[w]]])),
    ...options.env,
  }
  const running = new Map<WorkerName, ChildProcess>()

  const start = async (worker: WorkerName, timeoutMs = 30_000) => {
    const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', `${root}workers/${worker}/main.ts`], {
      env: { ...process.env, ...env },
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
    })
  }

  // auth first: the others fetch its JWKS, and its first start creates the admin.
  if (workers.includes('auth')) await start('auth')
  await Promise.all(workers.filter((w) => w !== 'auth').map((w) => start(w)))

  return {
    nats,
    urls,
    env,
    dataDir: data.path,
    kill: (worker) => signal(worker, 'SIGKILL'),
    stopWorker: (worker) => signal(worker, 'SIGTERM'),
    start,
    pid: (worker) => running.get(worker)?.pid,
    settled: async (timeoutMs = 60_000) => {
      await waitFor(
        async () => {
          const answers = await Promise.all(
            [...running.keys()].map(async (w) => {
              try {
                return (await fetch(`${urls[w]}/readyz?max_lag=0`)).status === 200
              } catch {
                return false
              }
            }),
          )
          return answers.every(Boolean)
        },
        'every consumer caught up',
        timeoutMs,
      )
    },
    stop: async () => {
      await Promise.all([...running.keys()].map((w) => signal(w, 'SIGTERM')))
      await nats.stop()
      data.remove()
    },
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
