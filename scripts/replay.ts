// `make replay WORKER=analytics`: rebuilds a worker's read models from the streams. Stop the
// worker first (`make up` shows it; Ctrl-C there, or stop that one process). This sets the
// worker's SQLite file aside, deletes its durable consumers, runs the worker until it has
// caught up, showing progress, stops it, and compares the rebuilt tables with the old ones.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { loadConfig, WORKERS, type WorkerName } from '../workers/runtime/config.ts'
import { connectNats, manager, OWN_STREAM, STREAMS, type StreamName } from '../workers/runtime/nats.ts'
import { operatorCredentials, passwordsFile } from './lib/nats-users.ts'
import { prettyLine } from './lib/pretty-log.ts'
import { compareDatabases, NOT_REBUILDABLE } from './lib/replay.ts'
import { builtEntrypoint, buildWorkers, WORKER_ENV, WORKER_NODE_ARGS } from './lib/build.ts'
import { root } from './lib/stack.ts'

const config = loadConfig()
const fail = (message: string): never => {
  console.error(message)
  process.exit(1)
}
const name = process.argv[2] as WorkerName
if (!WORKERS.includes(name)) fail(`WORKER must be one of ${WORKERS.join(', ')}`)
const refusal = NOT_REBUILDABLE[name]
if (refusal) fail(`${name} cannot be replayed: ${refusal}. Workers that can: ${WORKERS.filter((w) => !NOT_REBUILDABLE[w]).join(', ')}`)
const url = config.publicUrls[name]
if (await fetch(`${url}/healthz`).then(() => true, () => false)) fail(`${name} is running at ${url}: stop it first`)
// Built before anything is set aside: a build that fails leaves the database where it was.
await buildWorkers().catch((error: Error) => fail(error.message))
const file = join(config.dataDir, `${name}.sqlite`)
const previous = join(config.dataDir, `${name}.before-replay.sqlite`)
const SQLITE_SUFFIXES = ['', '-wal', '-shm']

const ops = operatorCredentials(config)
const nc = await connectNats({ servers: config.natsServers, name: 'ates-replay', ...ops })
const jsm = await manager(nc)
let stored = 0
const read: StreamName[] = []
for (const stream of Object.keys(STREAMS) as StreamName[]) {
  for await (const consumer of jsm.consumers.list(stream)) {
    if (!consumer.name.startsWith(`${name}-`)) continue
    await jsm.consumers.delete(stream, consumer.name)
    console.log(`deleted durable ${stream}/${consumer.name}`)
    if (!read.includes(stream)) read.push(stream)
  }
}
// It reads its own stream back first (its decisions, or its state for auth).
const own = OWN_STREAM[name]
if (own && !read.includes(own)) read.unshift(own)
for (const stream of read) stored += (await jsm.streams.info(stream)).state.messages
await nc.close()

const hadFile = existsSync(file)
for (const suffix of SQLITE_SUFFIXES) {
  rmSync(`${previous}${suffix}`, { force: true })
  if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${previous}${suffix}`)
}
console.log(`${hadFile ? `set ${file} aside as ${previous}` : `no ${file} yet`}; replaying ${read.join(', ') || 'the streams'}${read.length ? ` (${stored} events stored)` : ''}…`)

const started = Date.now()
const seconds = () => ((Date.now() - started) / 1000).toFixed(1)
const child = spawn(process.execPath, [...WORKER_NODE_ARGS, join(root, builtEntrypoint(name))], {
  env: { ...process.env, ...WORKER_ENV, ...(ops.user ? { ATES_NATS_USER: name, ATES_NATS_PASS: passwordOf(name) } : {}), ATES_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'pipe', 'pipe'],
})
for (const output of [child.stdout, child.stderr]) {
  createInterface({ input: output }).on('line', (line) => console.log(`  ${prettyLine(line, process.stdout.isTTY === true)}`))
}
const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
function passwordOf(user: string): string {
  return (JSON.parse(readFileSync(passwordsFile(config.dataDir), 'utf8')) as Record<string, string>)[user] ?? ''
}
/** The sum of a metric's series in the worker's /metrics. */
const total = (metrics: string, metric: string) =>
  [...metrics.matchAll(new RegExp(`^${metric}\\{[^}]*\\} (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0)
for (;;) {
  await new Promise((r) => setTimeout(r, 1000))
  if (child.exitCode !== null) fail(`${name} exited with ${child.exitCode}; ${hadFile ? `the old database is ${previous}` : ''}`)
  const ready = await fetch(`${url}/readyz?max_lag=0`).then((r) => r.ok, () => false)
  const metrics = await fetch(`${url}/metrics`).then((r) => r.text(), () => '')
  if (!metrics) console.log(`${seconds()} s: starting…`)
  else console.log(`${seconds()} s: ${total(metrics, 'ates_consumer_events_total')} events handled, ${total(metrics, 'ates_consumer_lag')} to go`)
  if (ready) break
}
child.kill('SIGTERM')
await exited
console.log(`${name} rebuilt in ${seconds()} s and stopped; start it again with the stack (make up)`)

if (hadFile) {
  const tables = compareDatabases(previous, file)
  for (const t of tables) console.log(`  ${t.table.padEnd(14)} ${String(t.after).padStart(7)} rows  ${t.same ? 'identical' : `DIFFERENT (before: ${t.before} rows)`}`)
  const different = tables.filter((t) => !t.same)
  if (different.length > 0) fail(`the rebuilt ${different.map((t) => t.table).join(', ')} differ from before; the old database is ${previous}`)
  console.log(`every table identical to before (the old database stays in ${previous} until the next replay)`)
}
