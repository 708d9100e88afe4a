// Runs the local stack for `make up` and `make cluster`: nats-server processes and worker
// processes with readable, prefixed logs; Ctrl-C (or SIGTERM) stops them all.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { type Config, WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import { builtEntrypoint, buildWorkers, WORKER_ENV, WORKER_NODE_ARGS } from './build.ts'
import { backoff } from '../../workers/runtime/backoff.ts'
import { color, prettyLine } from './pretty-log.ts'
import type { Passwords } from './nats-users.ts'

export const root = new URL('../../', import.meta.url).pathname
/** A worker's source, relative to the root; it runs compiled (builtEntrypoint, deploy/Dockerfile's CMD). */
export const entrypoint = (name: WorkerName) => `workers/${name}/main.ts`
const RESTART = { firstMs: 1000, maxMs: 30_000 }
const PREFIX_COLORS: Record<string, string> = { auth: '32', tasks: '34', billing: '33', close: '31', analytics: '36', audit: '35' }

export class Stack {
  readonly colors = process.stdout.isTTY === true
  private readonly children: Array<{ name: string; proc: ChildProcess; nats: boolean }> = []
  private stopping = false

  constructor() {
    process.on('SIGINT', () => void this.stop())
    process.on('SIGTERM', () => void this.stop())
    // Should this process end some other way (a crash), nothing it started outlives it.
    process.on('exit', () => {
      for (const { proc } of this.children) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    })
  }

  say(text: string): void {
    process.stdout.write(`${color('1', '[ates]', this.colors)} ${text}\n`)
  }

  /** Writes each line rendered; a line rendered as undefined is left out. */
  private pipe(name: string, proc: ChildProcess, render: (line: string) => string | undefined): void {
    const prefix = color(PREFIX_COLORS[name.split('-')[0]!] ?? '35', `[${name}]`.padEnd(12), this.colors)
    for (const stream of [proc.stdout, proc.stderr]) {
      if (!stream) continue
      createInterface({ input: stream }).on('line', (line) => {
        const text = render(line)
        if (text !== undefined) process.stdout.write(`${prefix} ${text}\n`)
      })
    }
  }

  /** Starts a nats-server and resolves once it is ready. */
  async startNats(name: string, args: string[], env: Record<string, string>): Promise<ChildProcess> {
    // Its own process group: Ctrl-C in the terminal reaches the workers and this supervisor,
    // which stops the server only after the workers have flushed their outboxes.
    const proc = spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true })
    this.children.push({ name, proc, nats: true })
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not become ready in 20 s:\n${output}`)), 20_000)
      const onLine = (line: string) => {
        output += `${line}\n`
        if (line.includes('Server is ready')) {
          clearTimeout(timer)
          resolve()
        }
      }
      for (const stream of [proc.stdout!, proc.stderr!]) createInterface({ input: stream }).on('line', onLine)
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited with ${code}:\n${output.split('\n').slice(-6).join('\n')}`))
      })
    })
    // Route chatter (connects, duplicates, retries while a peer is down) is left out.
    const chatter = /Route connection|Router connection closed|connect to route/
    this.pipe(name, proc, (line) => (chatter.test(line) ? undefined : line.replace(/^\[\d+\] [\d/]+ /, '')))
    proc.once('exit', (code, signal) => {
      if (!this.stopping) this.say(color('31', `${name} exited (${signal ?? code})`, this.colors))
    })
    return proc
  }

  /** A progress line on stderr, for what takes a while before anything runs. */
  progress(text: string): void {
    process.stderr.write(`${color('1', '[ates]', process.stderr.isTTY === true)} ${text}\n`)
  }

  /** Compiles the workers (only what changed since the last build); call it before startWorker. */
  async build(): Promise<void> {
    const first = !existsSync(join(root, '.build', 'tsbuildinfo.json'))
    this.progress(first ? 'building the workers into .build/ (first build: tsc, about 15 s)…' : 'building the workers into .build/ (tsc, only what changed)')
    const started = performance.now()
    await buildWorkers()
    const seconds = (performance.now() - started) / 1000
    if (seconds >= 1) this.progress(`workers built in ${seconds.toFixed(0)} s`)
  }

  /**
   * Starts a worker, and starts it again whenever it exits on its own, after 1 s, then twice as
   * long each time it exits again soon (at most 30 s); a worker that ran a minute starts over at 1 s.
   */
  startWorker(name: WorkerName, env: Record<string, string>, options: { label?: string; onStart?: (pid: number) => void; firstRestartMs?: number } = {}, restarts = 0): void {
    const started = Date.now()
    const label = options.label ?? name
    const proc = spawn(process.execPath, [...WORKER_NODE_ARGS, join(root, builtEntrypoint(name))], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...WORKER_ENV, ...env },
    })
    this.children.push({ name: label, proc, nats: false })
    if (proc.pid !== undefined) options.onStart?.(proc.pid)
    this.pipe(label, proc, (line) => prettyLine(line, this.colors))
    proc.once('exit', (code, signal) => {
      this.children.splice(this.children.findIndex((c) => c.proc === proc), 1)
      if (this.stopping) return
      const attempt = Date.now() - started > 60_000 ? 1 : restarts + 1
      const delay = Math.max(backoff(attempt, RESTART), options.firstRestartMs ?? 0)
      this.say(color('31', `${label} exited (${signal ?? code}); starting it again in ${delay / 1000} s — Ctrl-C stops all`, this.colors))
      setTimeout(() => {
        if (!this.stopping) this.startWorker(name, env, options, attempt)
      }, delay)
    })
  }

  async stop(code = 0): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    this.say('stopping…')
    const exited = (proc: ChildProcess) =>
      proc.exitCode !== null || proc.signalCode !== null
        ? Promise.resolve()
        : new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    const workers = this.children.filter((c) => !c.nats)
    for (const { proc } of workers) proc.kill('SIGTERM')
    await Promise.race([Promise.all(workers.map((c) => exited(c.proc))), new Promise((r) => setTimeout(r, 10_000))])
    for (const { proc } of workers) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
    const servers = this.children.filter((c) => c.nats)
    for (const { proc } of servers) proc.kill('SIGTERM')
    await Promise.all(servers.map((c) => exited(c.proc)))
    this.say('stopped')
    process.exit(code)
  }
}

/** Workers whose code exists. */
export function presentWorkers(): WorkerName[] {
  return WORKERS.filter((name) => existsSync(join(root, entrypoint(name))))
}

export { provisionStreams, provisionWhenReady } from './provision.ts'

/**
 * Every worker with its own NATS user, all seeds and the stream replicas. A stack started here
 * is a local one, whose admin may keep the default beak (printed at the start) when
 * ATES_ADMIN_BEAK is not set; auth refuses that anywhere else.
 */
export function workerEnvironment(worker: WorkerName, servers: string[], passwords: Passwords | undefined, replicas: number) {
  return {
    ATES_NATS_URL: servers.join(','),
    ATES_STREAM_REPLICAS: String(replicas),
    ATES_ALLOW_DEFAULT_ADMIN_BEAK: '1',
    ...(passwords ? { ATES_NATS_USER: worker, ATES_NATS_PASS: passwords[worker] } : {}),
  }
}

export function printUrls(stack: Stack, config: Config, workers: WorkerName[]): void {
  const byPort = [...workers].sort((a, b) => config.ports[a] - config.ports[b])
  for (const name of byPort) stack.say(`${name.padEnd(9)} ${config.publicUrls[name]}/`)
}
