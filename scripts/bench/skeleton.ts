// The pipeline's skeleton: the same HTTP calls, messages and durable consumers as the pipeline,
// in four processes standing for tasks, billing, analytics and the audit, each writing one
// SQLite row per event it receives or creates, and nothing else (skeleton-child.ts): no schema
// checks, no outbox, no ledger, no audit rules. What it reaches is what this machine allows any
// pipeline of this shape, before aTES does any of its own work; the pipeline's row is read
// against it as well as against the raw publish+consume.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { AckPolicy, DeliverPolicy, type JetStreamManager, StorageType } from '@nats-io/jetstream'
import { machineBusy, machineTicks, processCpuSeconds } from './cpu.ts'
import { httpLoad } from './http-load.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { SKELETON_READS, SKELETON_ROLES, SKELETON_STREAMS, type SkeletonRole, type SkeletonStream, skeletonDurable } from './skeleton-reads.ts'
import { check, type World } from './world.ts'

type Child = { role: SkeletonRole; pid: number; port?: number; stop(): void; exited: Promise<never> }

export async function skeleton(world: World, tasks: number, connections: number, rawRate: number): Promise<Row[]> {
  const { jsm } = world
  await scratch(jsm)
  const dir = mkdtempSync(join(world.system.dataDir, 'skeleton-'))
  const children: Child[] = []
  try {
    for (const role of SKELETON_ROLES) children.push(await startChild(role, world.system.nats.url, dir))
    const port = children.find((child) => child.role === 'tasks')!.port!
    progress(`pipeline skeleton: ${tasks.toLocaleString('en-US')} tasks through its POST /api/tasks`)
    const cpuBefore = children.map((child) => processCpuSeconds(child.pid) ?? 0)
    const machineBefore = machineTicks()
    const load = httpLoad({
      url: `http://127.0.0.1:${port}/api/tasks`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Sort the seeds by colour', description: 'All of them.' }),
      amount: tasks,
      connections,
    })
    // A process of the skeleton that dies (a publish refused) ends the run at once, not at the time-out.
    const died = Promise.race(children.map((child) => child.exited))
    const done = Promise.race([untilConsumed(jsm, tasks), died])
    const created = await Promise.race([load, died])
    check(created.non2xx === 0 && created.errors === 0, `every skeleton task created (${created.non2xx} refused, ${created.errors} errors)`)
    await done
    // From the first request, as the pipeline is timed.
    const seconds = (Date.now() - created.startedAtMs) / 1000
    const busy = machineBusy(machineBefore, machineTicks())
    const cpu = Object.fromEntries(children.map((child, i) => [child.role, Math.round(((processCpuSeconds(child.pid) ?? 0) - cpuBefore[i]!) * 100) / 100]))
    progress(`pipeline skeleton: ${tasks} tasks in ${seconds.toFixed(1)} s, CPU seconds ${JSON.stringify(cpu)}, the machine's cores ${busy === undefined ? '?' : Math.round(busy * 100)} % busy`)
    return [
      {
        figure: `pipeline skeleton, ${tasks.toLocaleString('en-US')} tasks (same calls and messages, one row per event, no logic)`,
        unit: 'events/s',
        value: (4 * tasks) / seconds,
        baseline: { name: 'raw publish+consume', value: rawRate },
        details: { tasks, events: 4 * tasks, seconds, cpu_seconds: cpu, machine_busy: busy },
      },
    ]
  } finally {
    for (const child of children) child.stop()
    rmSync(dir, { recursive: true, force: true })
    for (const stream of Object.keys(SKELETON_STREAMS)) await jsm.streams.delete(stream).catch(() => undefined)
  }
}

/** The skeleton's streams, new, with a durable for each read, as the workers' (max_ack_pending 2000). */
async function scratch(jsm: JetStreamManager): Promise<void> {
  for (const [name, subject] of Object.entries(SKELETON_STREAMS)) {
    await jsm.streams.delete(name).catch(() => undefined)
    await jsm.streams.add({ name, subjects: [subject], storage: StorageType.File, num_replicas: 1 })
  }
  for (const role of SKELETON_ROLES) {
    for (const { stream, filter } of SKELETON_READS[role]) {
      await jsm.consumers.add(stream, {
        durable_name: skeletonDurable(role, filter),
        filter_subject: filter,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 2000,
      })
    }
  }
}

/** Until both streams hold two events per task and every durable has read and acked all of its own; looked at every 100 ms, as the pipeline is. */
async function untilConsumed(jsm: JetStreamManager, tasks: number): Promise<void> {
  const reads = SKELETON_ROLES.flatMap((role) => SKELETON_READS[role].map((read) => ({ ...read, durable: skeletonDurable(role, read.filter) })))
  const deadline = performance.now() + 20 * 60_000
  for (;;) {
    const stored = await Promise.all((Object.keys(SKELETON_STREAMS) as SkeletonStream[]).map(async (name) => (await jsm.streams.info(name)).state.messages))
    if (stored.every((n) => n === 2 * tasks)) {
      const infos = await Promise.all(reads.map((read) => jsm.consumers.info(read.stream, read.durable)))
      if (infos.every((info) => info.num_pending === 0 && info.num_ack_pending === 0)) return
    }
    if (performance.now() > deadline) throw new Error(`pipeline skeleton: not every event consumed after 20 minutes (stored ${stored.join(', ')})`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function startChild(role: SkeletonRole, natsUrl: string, dir: string): Promise<Child> {
  const script = fileURLToPath(new URL('./skeleton-child.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, role, natsUrl, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let stopping = false
  const stop = () => {
    stopping = true
    child.kill('SIGKILL')
  }
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => {
      if (!stopping) reject(new Error(`skeleton ${role} exited with ${code}`))
    })
  })
  // Rejected only when it dies during a run; nobody may be listening before or after one.
  exited.catch(() => undefined)
  try {
    const port = await new Promise<number | undefined>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const match = /ready(?: (\d+))?\n/.exec(out)
        if (match) resolve(match[1] === undefined ? undefined : Number(match[1]))
      })
      exited.catch(reject)
    })
    return { role, pid: child.pid!, ...(port === undefined ? {} : { port }), stop, exited }
  } catch (error) {
    stop()
    throw error
  }
}
