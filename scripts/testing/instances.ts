// Test fixture: every worker as two instances (a and b: own processes, own data dirs, own
// ports), each worker behind a load balancer that sends requests to its active instance, as
// `make cluster` runs them. It answers to the System shape, its URLs being the balancers', so
// the fault suite's loads and checker work unchanged; and a test kills, stops or freezes the
// active instance of a worker and times the takeover.
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import { tempDir, waitFor } from '../../workers/runtime/testing/helpers.ts'
import { freePort } from '../../workers/runtime/testing/nats-server.ts'
import { ADMIN, type System } from '../../workers/runtime/testing/system.ts'
import { type Balancer, startBalancer } from '../lib/balancer.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))

export const INSTANCES = ['a', 'b'] as const
export type Instance = (typeof INSTANCES)[number]

export type Instances = System<undefined> & {
  /** The URL of one instance of a worker (not its balancer). */
  instanceUrl(worker: WorkerName, instance: Instance): string
  /** The instance of a worker that is active now (for analytics and audit, both are). */
  active(worker: WorkerName): Promise<Instance | undefined>
  killInstance(worker: WorkerName, instance: Instance): Promise<void>
  stopInstance(worker: WorkerName, instance: Instance): Promise<void>
  startInstance(worker: WorkerName, instance: Instance): Promise<void>
  freezeInstance(worker: WorkerName, instance: Instance): void
  thawInstance(worker: WorkerName, instance: Instance): void
}

export type InstancesOptions = {
  servers: string[]
  users: Record<WorkerName, { user: string; pass: string }>
  replicas: number
  env?: Record<string, string>
  logs?: boolean
}

const key = (worker: WorkerName, instance: Instance) => `${worker}-${instance}`

export async function startInstances(options: InstancesOptions): Promise<Instances> {
  const data = tempDir('ates-instances-')
  const ports = new Map<string, number>()
  for (const worker of WORKERS) for (const instance of INSTANCES) ports.set(key(worker, instance), await freePort())
  const instanceUrl = (worker: WorkerName, instance: Instance) => `http://localhost:${ports.get(key(worker, instance))}`
  const balancerPorts = Object.fromEntries(await Promise.all(WORKERS.map(async (w) => [w, await freePort()] as const))) as Record<WorkerName, number>
  const urls = Object.fromEntries(WORKERS.map((w) => [w, `http://localhost:${balancerPorts[w]}`])) as Record<WorkerName, string>
  const env: Record<string, string> = {
    ATES_NATS_URL: options.servers.join(','),
    ATES_STREAM_REPLICAS: String(options.replicas),
    ATES_ADMIN_EMAIL: ADMIN.email,
    ATES_ADMIN_BEAK: ADMIN.beak,
    ATES_LOG_LEVEL: options.logs ? 'info' : 'warn',
    // Links, logins and auth's keys go through the balancers, as a browser's would.
    ...Object.fromEntries(WORKERS.map((w) => [`ATES_${w.toUpperCase()}_URL`, urls[w]])),
    ...options.env,
  }
  const running = new Map<string, ChildProcess>()

  const startInstance = async (worker: WorkerName, instance: Instance, timeoutMs = 60_000) => {
    const user = options.users[worker]
    const proc = spawn(process.execPath, ['--import', 'tsx', `${root}workers/${worker}/main.ts`], {
      env: {
        ...process.env,
        ...env,
        ATES_INSTANCE: instance,
        ATES_DATA_DIR: join(data.path, instance),
        [`ATES_${worker.toUpperCase()}_PORT`]: String(ports.get(key(worker, instance))),
        ATES_NATS_USER: user.user,
        ATES_NATS_PASS: user.pass,
      },
      stdio: ['ignore', options.logs ? 'inherit' : 'ignore', 'inherit'],
    })
    running.set(key(worker, instance), proc)
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`${key(worker, instance)} exited with ${proc.exitCode}`)
        return fetch(`${instanceUrl(worker, instance)}/healthz`).then((r) => r.ok, () => false)
      },
      `${key(worker, instance)} to answer /healthz`,
      timeoutMs,
    )
  }

  const signal = async (name: string, sig: NodeJS.Signals) => {
    const proc = running.get(name)
    running.delete(name)
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill(sig)
      if (sig !== 'SIGKILL') proc.kill('SIGCONT')
    })
  }

  const balancers: Balancer[] = []
  const stop = async () => {
    await Promise.all([...running.keys()].map((name) => signal(name, 'SIGTERM')))
    for (const balancer of balancers) await balancer.stop()
    data.remove()
  }

  const status = async (worker: WorkerName, instance: Instance) =>
    fetch(`${instanceUrl(worker, instance)}/readyz`).then(
      async (r) => ((await r.json()) as { status: string }).status,
      () => 'down',
    )

  try {
    // Every instance a first, so each worker's a starts out active; auth first of all.
    for (const instance of INSTANCES) {
      await startInstance('auth', instance)
      await Promise.all(WORKERS.filter((w) => w !== 'auth').map((w) => startInstance(w, instance)))
    }
    for (const worker of WORKERS) {
      balancers.push(await startBalancer({ port: balancerPorts[worker], targets: INSTANCES.map((i) => instanceUrl(worker, i)) }))
    }
  } catch (error) {
    await stop()
    throw error
  }

  const names = (worker: WorkerName) => INSTANCES.map((i) => key(worker, i)).filter((n) => running.has(n))
  return {
    nats: undefined,
    natsServers: options.servers,
    urls,
    env,
    dataDir: data.path,
    instanceUrl,
    active: async (worker) => {
      // While one takes over, neither is: wait for one (up to a minute).
      const found = await waitFor(
        async () => {
          for (const instance of INSTANCES) {
            if (!running.has(key(worker, instance))) continue
            const now = await status(worker, instance)
            if (now !== 'standby' && now !== 'down') return instance
          }
          return undefined
        },
        `an active instance of ${worker}`,
        60_000,
      ).catch(() => undefined)
      return found
    },
    killInstance: (worker, instance) => signal(key(worker, instance), 'SIGKILL'),
    stopInstance: (worker, instance) => signal(key(worker, instance), 'SIGTERM'),
    startInstance: (worker, instance) => startInstance(worker, instance),
    freezeInstance: (worker, instance) => void running.get(key(worker, instance))?.kill('SIGSTOP'),
    thawInstance: (worker, instance) => void running.get(key(worker, instance))?.kill('SIGCONT'),
    kill: async (worker) => {
      for (const name of names(worker)) await signal(name, 'SIGKILL')
    },
    stopWorker: async (worker) => {
      for (const name of names(worker)) await signal(name, 'SIGTERM')
    },
    start: async (worker) => {
      for (const instance of INSTANCES) if (!running.has(key(worker, instance))) await startInstance(worker, instance)
    },
    pid: (worker) => running.get(key(worker, 'a'))?.pid,
    freeze: (worker) => void running.get(key(worker, 'a'))?.kill('SIGSTOP'),
    thaw: (worker) => void running.get(key(worker, 'a'))?.kill('SIGCONT'),
    settled: async (timeoutMs = 120_000) => {
      let previous: string | undefined
      let unsettled: string[] = []
      await waitFor(
        async () => {
          const looks = await Promise.all(
            [...running.keys()].map(async (name) => {
              const [worker, instance] = name.split('-') as [WorkerName, Instance]
              return { name, ...(await quietness(instanceUrl(worker, instance))) }
            }),
          )
          unsettled = looks.filter((l) => l.quiet === undefined).map((l) => `${l.name}: ${l.why}`)
          const signature = unsettled.length === 0 ? looks.map((l) => l.quiet).join(',') : undefined
          const quiet = signature !== undefined && signature === previous
          previous = signature
          return quiet
        },
        'every active instance caught up and every outbox relayed',
        timeoutMs,
      ).catch((error: unknown) => {
        // Which instance kept the system from settling, and what it said.
        throw new Error(`${(error as Error).message}; not settled: ${unsettled.join('; ') || 'none (still moving)'}`)
      })
    },
    stop,
  }
}

/** An instance's progress counters when it is caught up with an empty outbox, or 'standby'; otherwise why not. */
async function quietness(url: string): Promise<{ quiet?: string; why?: string }> {
  try {
    const ready = await fetch(`${url}/readyz?max_lag=0`)
    const body = await ready.text()
    const status = (JSON.parse(body) as { status: string }).status
    if (status === 'standby') return { quiet: `${url}=standby` }
    if (ready.status !== 200) return { why: `/readyz?max_lag=0 answered ${ready.status} ${body.slice(0, 400)}` }
    const metrics = (await (await fetch(`${url}/metrics`)).text()).split('\n')
    const value = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1))
    const pending = metrics.find((line) => line.startsWith('ates_outbox_pending') && value(line) !== 0)
    if (pending) return { why: pending }
    const moved = metrics.filter((line) => /^ates_(outbox_published|consumer_events)_total/.test(line)).reduce((sum, line) => sum + value(line), 0)
    return { quiet: `${url}=${moved}` }
  } catch (error) {
    return { why: `not answering: ${(error as Error).message}` }
  }
}
