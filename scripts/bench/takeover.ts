// Billing taking over with the streams full: a second billing instance starts as a standby
// with an empty database of its own, as on a fresh machine (after the replays), and keeps it
// warm (runtime/follow.ts); once its /readyz says it is warm, the active one is SIGKILLed, a
// task is created at that moment, and the figure is the time from the kill to the first fee
// the new instance applies (the task's assignment fee on BILLING). It includes the lease's TTL
// (the dead holder's key must expire) and the catch-up: the new instance brings in what the
// active one decided since the standby's last round, and reads its durables on from there.
// How long the standby took to become warm is a row of its own.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { STREAMS, type StreamName } from '../../workers/runtime/nats.ts'
import { freePort } from '../../workers/runtime/testing/nats-server.ts'
import { builtEntrypoint, WORKER_ENV, WORKER_NODE_ARGS } from '../lib/build.ts'
import { root } from '../lib/stack.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { call, check, stored, until, type World } from './world.ts'

export type Standby = {
  url: string
  /** Kills the active billing and measures the takeover; stops the standby afterwards. */
  takeover(): Promise<Row[]>
  stop(): Promise<void>
}

type Ready = { status: string; active?: { instance?: string }; following?: { warm: boolean; rounds: number; last_round: { applied: number; decisions: number } | null } }

async function readiness(url: string): Promise<Ready | undefined> {
  try {
    return (await (await fetch(`${url}/readyz`)).json()) as Ready
  } catch {
    return undefined
  }
}

/** Starts the second billing; it must find the lease held and wait as a standby. */
export async function startStandby(world: World, ttlSeconds: number): Promise<Standby> {
  const port = await freePort()
  const dataDir = join(world.system.dataDir, 'billing-standby')
  mkdirSync(dataDir, { recursive: true })
  const url = `http://localhost:${port}`
  const proc: ChildProcess = spawn(process.execPath, [...WORKER_NODE_ARGS, join(root, builtEntrypoint('billing'))], {
    env: { ...process.env, ...world.system.env, ...WORKER_ENV, ATES_DATA_DIR: dataDir, ATES_BILLING_PORT: String(port), ATES_INSTANCE: 'standby' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const deadline = performance.now() + 60_000
  for (;;) {
    const ready = await readiness(url)
    if (ready?.status === 'standby') break
    check(proc.exitCode === null, 'the second billing is running')
    check(performance.now() < deadline, `the second billing waits as a standby (it says ${JSON.stringify(ready)})`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  progress(`takeover: a second billing waits as a standby on ${url}, with an empty database`)
  const started = performance.now()
  for (let said = 0; ; ) {
    const ready = await readiness(url)
    if (ready?.following?.warm) break
    check(proc.exitCode === null, 'the second billing is running')
    check(performance.now() - started < 30 * 60_000, `the standby becomes warm (it says ${JSON.stringify(ready?.following)})`)
    if (performance.now() - started > said + 10_000) {
      said = performance.now() - started
      progress(`takeover: the standby follows (${JSON.stringify(ready?.following?.last_round ?? null)})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const warmSeconds = (performance.now() - started) / 1000
  progress(`takeover: the standby is warm after ${warmSeconds.toFixed(1)} s`)

  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM')
      await exited
    }
  }

  return {
    url,
    stop,
    async takeover() {
      let events = 0
      for (const stream of Object.keys(STREAMS) as StreamName[]) events += await stored(world.jsm, stream)
      const fees = () => stored(world.jsm, 'BILLING', 'billing.transaction_applied.>')
      const before = await fees()
      progress(`takeover: SIGKILL of the active billing with ${events.toLocaleString('en-US')} events in the streams`)
      const killed = performance.now()
      await world.system.kill('billing')
      // Tasks answers on its own: the task and its assignment wait on TASKS for the new billing.
      await call(`${world.system.urls.tasks}/api/tasks`, await world.tokenOf(world.popugs[0]!), {
        method: 'POST',
        body: { title: 'Count the seeds again', description: 'After the takeover.' },
      })
      let active: number | undefined
      const watching = until('the first fee from the new billing', async () => {
        if (active === undefined && (await readiness(url))?.status === 'ready') active = performance.now()
        return Math.min(await fees(), before + 1)
      }, before + 1, 30 * 60_000)
      await watching
      const seconds = (performance.now() - killed) / 1000
      const activeSeconds = active === undefined ? seconds : (active - killed) / 1000
      // Active, whether or not it has handled all it held when it took over (/readyz: catching_up).
      const status = (await readiness(url))?.status
      check(status !== undefined && status !== 'standby', `the second billing is the active one (its /readyz: ${status})`)
      progress(`takeover: first fee ${seconds.toFixed(1)} s after the kill (serving HTTP after ${activeSeconds.toFixed(1)} s, TTL ${ttlSeconds} s)`)
      await stop()
      return [
        {
          figure: `billing takeover, ${events.toLocaleString('en-US')} events in the streams`,
          unit: 's',
          value: seconds,
          target: { kind: 'max_value', limit: 15 },
          details: { events, seconds_until_ready: activeSeconds, lease_ttl_seconds: ttlSeconds },
        },
        { figure: '  the lease TTL, the longest a dead holder keeps it', unit: 's', value: ttlSeconds },
        { figure: '  a standby started with an empty database, until warm', unit: 's', value: warmSeconds },
      ]
    },
  }
}
