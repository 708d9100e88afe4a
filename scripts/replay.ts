// `make replay WORKER=analytics`: rebuilds a worker's read models from the streams. Stop the
// worker first (`make up` shows it; Ctrl-C there, or stop that one process). This deletes
// the worker's SQLite file and its durable consumers, runs the worker until it has caught
// up, showing progress, and stops it again; start the stack as usual afterwards.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, WORKERS, type WorkerName } from '../workers/runtime/config.ts'
import { connectNats, manager, STREAMS, type StreamName } from '../workers/runtime/nats.ts'
import { operatorCredentials, passwordsFile } from './lib/nats-users.ts'
import { root } from './lib/stack.ts'

const worker = process.argv[2] as WorkerName | undefined
const config = loadConfig()
const fail = (message: string) => {
  console.error(message)
  process.exit(1)
}
if (!worker || !WORKERS.includes(worker)) fail(`WORKER must be one of ${WORKERS.join(', ')}`)
const name = worker as WorkerName
if (!existsSync(join(root, 'workers', name, 'main.ts'))) fail(`worker ${name} does not exist`)
const url = config.publicUrls[name]
if (await fetch(`${url}/healthz`).then(() => true, () => false)) fail(`${name} is running at ${url}: stop it first`)

const ops = operatorCredentials(config)
const nc = await connectNats({ servers: config.natsServers, name: 'ates-replay', ...ops })
const jsm = await manager(nc)
let total = 0
for (const stream of Object.keys(STREAMS) as StreamName[]) {
  for await (const consumer of jsm.consumers.list(stream)) {
    if (!consumer.name.startsWith(`${name}-`)) continue
    await jsm.consumers.delete(stream, consumer.name)
    console.log(`deleted durable ${stream}/${consumer.name}`)
  }
  total += (await jsm.streams.info(stream)).state.messages
}
await nc.close()
for (const suffix of ['', '-wal', '-shm']) rmSync(join(config.dataDir, `${name}.sqlite${suffix}`), { force: true })
console.log(`deleted ${join(config.dataDir, `${name}.sqlite`)}; replaying up to ${total} stored events…`)

const started = Date.now()
const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'workers', name, 'main.ts')], {
  env: { ...process.env, ...(ops.user ? { ATES_NATS_USER: name, ATES_NATS_PASS: passwordOf(name) } : {}), ATES_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
})
function passwordOf(user: string): string {
  return (JSON.parse(readFileSync(passwordsFile(config.dataDir), 'utf8')) as Record<string, string>)[user] ?? ''
}
for (;;) {
  await new Promise((r) => setTimeout(r, 1000))
  if (child.exitCode !== null) fail(`${name} exited with ${child.exitCode}`)
  const ready = await fetch(`${url}/readyz?max_lag=0`).then((r) => r.ok, () => false)
  const metrics = await fetch(`${url}/metrics`).then((r) => r.text(), () => '')
  const lag = [...metrics.matchAll(/^ates_consumer_lag\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
  console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: ${metrics ? `${lag} events to go` : 'starting…'}`)
  if (ready) break
}
console.log(`${name} rebuilt in ${((Date.now() - started) / 1000).toFixed(1)} s; stopping it — start the stack again with make up`)
child.kill('SIGTERM')
