// `make up`: one JetStream node (unless ATES_NATS_URL points elsewhere) and every worker,
// with readable logs prefixed by worker. Ctrl-C stops everything.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { loadConfig, WORKERS, type WorkerName } from '../workers/runtime/config.ts'
import { color, prettyLine } from './lib/pretty-log.ts'

const config = loadConfig()
const colors = process.stdout.isTTY === true
const root = new URL('..', import.meta.url).pathname
const children: Array<{ name: string; proc: ChildProcess }> = []
const PREFIX_COLORS: Record<string, string> = { nats: '35', auth: '32', tasks: '34', billing: '33', close: '31', analytics: '36' }
let stopping = false

function say(text: string): void {
  process.stdout.write(`${color('1', '[ates]', colors)} ${text}\n`)
}

function pipe(name: string, proc: ChildProcess, render: (line: string) => string): void {
  const prefix = color(PREFIX_COLORS[name] ?? '0', `[${name}]`.padEnd(11), colors)
  for (const stream of [proc.stdout, proc.stderr]) {
    if (!stream) continue
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${render(line)}\n`))
  }
}

async function startNats(): Promise<void> {
  const storeDir = join(config.dataDir, 'nats')
  mkdirSync(storeDir, { recursive: true })
  const port = config.natsServers[0]!.split(':').at(-1)!
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', port, '-js', '-sd', storeDir, '--server_name', 'ates-local'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push({ name: 'nats', proc })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nats-server did not become ready in 15 s')), 15_000)
    const onLine = (line: string) => {
      if (line.includes('Server is ready')) {
        clearTimeout(timer)
        resolve()
      }
      if (/already in use|error/i.test(line)) process.stdout.write(`[nats] ${line}\n`)
    }
    for (const stream of [proc.stdout!, proc.stderr!]) createInterface({ input: stream }).on('line', onLine)
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`nats-server exited with ${code} (is port ${port} taken? set ATES_NATS_PORT)`))
    })
  })
  pipe('nats', proc, (line) => line.replace(/^\[\d+\] /, ''))
  say(`NATS JetStream on nats://127.0.0.1:${port}, store in ${storeDir}`)
}

function startWorker(name: WorkerName): void {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'workers', name, 'main.ts')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  })
  children.push({ name, proc })
  pipe(name, proc, (line) => prettyLine(line, colors))
  proc.once('exit', (code, signal) => {
    if (!stopping) say(color('31', `${name} exited (${signal ?? code}); the others keep running — Ctrl-C to stop all`, colors))
  })
}

async function stopAll(): Promise<void> {
  if (stopping) return
  stopping = true
  say('stopping…')
  const exited = (proc: ChildProcess) =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const workers = children.filter((c) => c.name !== 'nats')
  for (const { proc } of workers) proc.kill('SIGTERM')
  await Promise.race([Promise.all(workers.map((c) => exited(c.proc))), new Promise((r) => setTimeout(r, 10_000))])
  for (const { proc } of workers) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  for (const { proc } of children.filter((c) => c.name === 'nats')) {
    proc.kill('SIGTERM')
    await exited(proc)
  }
  say('stopped')
  process.exit(0)
}

process.on('SIGINT', () => void stopAll())
process.on('SIGTERM', () => void stopAll())

try {
  if (!process.env.ATES_NATS_URL) await startNats()
  else say(`using NATS at ${config.natsServers.join(', ')}`)
  const present = WORKERS.filter((name) => existsSync(join(root, 'workers', name, 'main.ts')))
  for (const name of present) startWorker(name)
  say(`data in ${config.dataDir}`)
  for (const name of present) say(`${name.padEnd(9)} ${config.publicUrls[name]}/`)
  if (present.includes('auth')) say(`first admin: ${config.adminEmail} / ${config.adminBeak} (ATES_ADMIN_EMAIL / ATES_ADMIN_BEAK)`)
  if (present.length === 0) say('no workers yet: NATS only')
  say('Ctrl-C stops everything')
} catch (error) {
  say(color('31', (error as Error).message, colors))
  await stopAll()
}
