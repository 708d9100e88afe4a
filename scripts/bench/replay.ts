// Rebuilding a worker from the streams, as `make replay` does: stop it, delete its SQLite file
// and durable consumers, start it, and time until it has caught up. What its API answers
// afterwards must equal what it answered before. Events are those it reads (readsOf): for
// billing its own BILLING stream (the restore), then what each durable delivers.
import type { JetStreamManager } from '@nats-io/jetstream'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { STREAMS, type StreamName } from '../../workers/runtime/nats.ts'
import { allPages } from '../../workers/runtime/testing/system.ts'
import { cpuSeconds } from './cpu.ts'
import type { Memory } from './memory.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { call, check, stored, type World } from './world.ts'

type Rebuilt = 'billing' | 'analytics'

const ANSWERS: Record<Rebuilt, string[]> = {
  billing: ['/api/accounts', '/api/management/earnings'],
  analytics: ['/api/analytics/today', '/api/analytics/days', '/api/analytics/most-expensive?period=month'],
}

/** What the worker answers, billing's accounts every page of them. */
async function answers(world: World, worker: Rebuilt): Promise<unknown[]> {
  return Promise.all(ANSWERS[worker].map((path) => (path === '/api/accounts' ? allPages(`${world.system.urls[worker]}${path}`, world.admin, 'accounts') : call(`${world.system.urls[worker]}${path}`, world.admin))))
}

export async function replay(world: World, worker: Rebuilt, rawConsumeRate: number, memory: Memory): Promise<Row[]> {
  const { system, jsm } = world
  const reads = await readsOf(jsm, worker)
  const events = reads.reduce((sum, read) => sum + read.events, 0)
  const before = await answers(world, worker)
  // Its old process ends here: what it reached is kept under the last scenario it ran.
  memory.sample(worker, 'before the replay')
  await system.stopWorker(worker)
  for (const stream of Object.keys(STREAMS) as StreamName[]) {
    for await (const consumer of jsm.consumers.list(stream)) {
      if (consumer.name.startsWith(`${worker}-`)) await jsm.consumers.delete(stream, consumer.name)
    }
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(system.dataDir, `${worker}.sqlite${suffix}`), { force: true })
  progress(`replay ${worker}: ${events.toLocaleString('en-US')} events from the streams into an empty database (${reads.map((r) => `${r.read} ${r.events.toLocaleString('en-US')}`).join(', ')})`)

  const started = performance.now()
  await system.start(worker, 30 * 60_000)
  const restored = (performance.now() - started) / 1000
  await watchLag(world, worker)
  await system.settled(30 * 60_000)
  const seconds = (performance.now() - started) / 1000
  // The rebuilt worker is a new process: everything it spent, its start included.
  const cpu = cpuSeconds(system)[worker]
  memory.sample(worker, `replay ${worker}`)
  const after = await answers(world, worker)
  check(JSON.stringify(after) === JSON.stringify(before), `${worker} answers the same after the rebuild`)
  progress(`replay ${worker}: ${seconds.toFixed(1)} s (${restored.toFixed(1)} s until it answered HTTP), ${cpu} CPU seconds`)
  return [
    {
      figure: `replay ${worker}, ${events.toLocaleString('en-US')} events`,
      unit: 'events/s',
      value: events / seconds,
      baseline: { name: 'raw consume', value: rawConsumeRate },
      target: { kind: 'min_ratio', limit: 0.5 },
      details: { events, reads, seconds, seconds_until_http: restored, cpu_seconds: cpu },
    },
  ]
}

/**
 * The events a rebuild reads: for billing its own stream first (the restore), then what each of
 * the worker's durables delivers — its stream under its filter (analytics reads only
 * tasks.created of TASKS). Counted from the durables themselves, before they are deleted.
 */
async function readsOf(jsm: JetStreamManager, worker: Rebuilt): Promise<Array<{ read: string; events: number }>> {
  const reads = worker === 'billing' ? [{ read: 'BILLING (restore)', events: await stored(jsm, 'BILLING') }] : []
  for (const stream of Object.keys(STREAMS) as StreamName[]) {
    for await (const consumer of jsm.consumers.list(stream)) {
      if (!consumer.name.startsWith(`${worker}-`) || consumer.config.durable_name === undefined) continue
      const filter = consumer.config.filter_subject ?? '>'
      reads.push({ read: `${consumer.name} (${stream} ${filter})`, events: await stored(jsm, stream, filter) })
    }
  }
  return reads
}

/** Shows the worker's remaining consumer lag (from /metrics) until it reaches zero. */
async function watchLag(world: World, worker: Rebuilt): Promise<void> {
  const url = `${world.system.urls[worker]}/metrics`
  // Looked at every 100 ms, so the time measured is the rebuild's, not the wait for the next
  // look (every 3 s before: up to 3 s more on a rebuild of 5 to 11 s); progress every 3 s.
  let shown = performance.now()
  for (;;) {
    const text = await fetch(url).then((r) => r.text())
    const lag = [...text.matchAll(/^ates_consumer_lag\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
    if (lag === 0) return
    if (performance.now() - shown >= 3000) {
      progress(`  ${worker}: ${lag.toLocaleString('en-US')} events to go`)
      shown = performance.now()
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
