// `make bench`: baselines and every scenario in one run on this machine, progress on stderr,
// then a table of figures, baselines, ratios and targets on stdout and the same as JSON in
// .bench/. Sizes: BENCH_SCALE=quick|small|full and the overrides in scale.ts.
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rawConsume, rawConsumeIntoSqlite, rawPublish, rawSqlite } from './baselines.ts'
import { writeChart } from './chart.ts'
import { closeDay } from './close-day.ts'
import { httpReads } from './http-reads.ts'
import { latency } from './latency.ts'
import { Memory } from './memory.ts'
import { metricsCost } from './metrics.ts'
import { pipeline } from './pipeline.ts'
import { reassign } from './reassign.ts'
import { reconcile } from './reconcile.ts'
import { replay } from './replay.ts'
import { medianOfRuns, RUNS } from './runs.ts'
import { formatNumber, judge, progress, type Row, table, writeResults } from './report.ts'
import { sizesFrom } from './scale.ts'
import { skeleton } from './skeleton.ts'
import { type Standby, startStandby } from './takeover.ts'
import { startWorld } from './world.ts'

const RSS_LIMIT_MB = 200
/** The lease's default TTL (ATES_LEASE_TTL), which a takeover after a SIGKILL waits out. */
const LEASE_TTL_SECONDS = 8
/** Tasks a second for the latency when the pipeline did not run to say what half its maximum is. */
const DEFAULT_LATENCY_RATE = 200
const root = fileURLToPath(new URL('../../', import.meta.url))
const sizes = sizesFrom()
const startedAt = new Date()
progress(`aTES benchmark, scale ${sizes.scale}: ${JSON.stringify({ ...sizes, only: [...sizes.only] })}`)

// BENCH_NODE_ARGS: node arguments for every worker, e.g. to profile them with --cpu-prof.
const world = await startWorld(sizes.accounts, process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])
// Ctrl-C leaves no worker or nats-server behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping the workers and nats-server`)
    void world.stop().finally(() => process.exit(130))
  })
}
const memory = new Memory(world.system)
const rows: Row[] = []
let failure: Error | undefined
let standby: Standby | undefined
try {
  progress(`baselines: raw JetStream publish and consume of ${sizes.rawEvents.toLocaleString('en-US')} events, SQLite (bare Hono comes with the HTTP reads)`)
  const publish = await rawPublish(world.js, world.jsm, sizes.rawEvents)
  const consume = await rawConsume(world.js, world.jsm, sizes.rawEvents)
  const consumeIntoSqlite = await rawConsumeIntoSqlite(world.js, world.jsm, world.system.dataDir, sizes.rawEvents)
  const sqlite = rawSqlite(world.system.dataDir, sizes.rawEvents, 500)
  // One event published and then consumed: the rate of the two in a row.
  const publishConsume = 1 / (1 / publish + 1 / consume)
  rows.push(
    { figure: 'raw JetStream publish (R1, file store)', unit: 'events/s', value: publish },
    { figure: 'raw durable consume+ack', unit: 'events/s', value: consume },
    { figure: 'raw publish+consume', unit: 'events/s', value: publishConsume },
    { figure: 'raw SQLite, 500 rows+inbox per tx', unit: 'rows/s', value: sqlite },
    // No target: the most a replay could reach, read against the replays' baseline.
    { figure: 'raw consume into SQLite (parse, a row per event, a tx per batch)', unit: 'events/s', value: consumeIntoSqlite, baseline: { name: 'raw consume', value: consume } },
  )
  progress(`baselines: publish ${Math.round(publish)}/s, consume ${Math.round(consume)}/s, consume into SQLite ${Math.round(consumeIntoSqlite)}/s, SQLite ${Math.round(sqlite)}/s`)

  memory.after('start and baselines')
  if (sizes.only.has('metrics')) {
    progress('metrics: recording and rendering with the registry the workers use, against the one it grew from')
    const metricRows = await metricsCost()
    rows.push(...metricRows)
    progress(`metrics: ${formatNumber(metricRows[0]!.value)} µs per scrape interval, legacy ${formatNumber(metricRows[0]!.baseline!.value)} µs`)
  }
  if (sizes.only.has('close')) rows.push(...(await closeDay(world, sizes.accounts, sizes.connections)))
  memory.after('close')
  let pipelineTasksPerSecond: number | undefined
  if (sizes.only.has('pipeline')) {
    // The tasks split over the runs, so what follows (the reassign, the replays) is the same size.
    // Each run is followed by its skeleton's run of the same size, on the machine as it is then.
    const runs: Row[][] = []
    const skeletonRuns: Row[][] = []
    for (let run = 0; run < RUNS; run++) {
      const tasks = Math.floor(sizes.tasks / RUNS) + (run < sizes.tasks % RUNS ? 1 : 0)
      runs.push(await pipeline(world, tasks, sizes.connections, publishConsume))
      skeletonRuns.push(await skeleton(world, tasks, sizes.connections, publishConsume))
    }
    const pipelineRows = medianOfRuns('pipeline', runs)
    const skeletonRows = medianOfRuns('pipeline skeleton', skeletonRuns)
    const [median, skeletonMedian] = [pipelineRows.at(-1)!, skeletonRows.at(-1)!]
    rows.push(...pipelineRows, ...skeletonRows, {
      figure: 'pipeline, median, against its skeleton',
      unit: 'events/s',
      value: median.value,
      baseline: { name: 'pipeline skeleton', value: skeletonMedian.value },
    })
    pipelineTasksPerSecond = Math.max(...runs.map((measured) => measured[0]!.value)) / 4
  }
  memory.after('pipeline')
  if (sizes.only.has('latency')) {
    // About half the pipeline's maximum: a busy hour, not a flood.
    const rate = Math.max(10, Math.round((pipelineTasksPerSecond ?? DEFAULT_LATENCY_RATE * 2) / 2))
    rows.push(...(await latency(world, rate, sizes.latencySeconds)))
  }
  memory.after('latency')
  if (sizes.only.has('reassign')) rows.push(...(await reassign(world, sizes.tasks, sizes.reassigns, (events) => events / publish + events / consume)))
  memory.after('reassign')
  if (sizes.only.has('http')) rows.push(...(await httpReads(world, sizes.httpSeconds, sizes.connections)))
  memory.after('http')
  if (sizes.only.has('replay')) {
    for (const worker of ['billing', 'analytics'] as const) {
      const runs: Row[][] = []
      for (let run = 0; run < RUNS; run++) runs.push(await replay(world, worker, consume, memory))
      rows.push(...medianOfRuns(`replay ${worker}`, runs))
      memory.after(`replay ${worker}`)
    }
  }
  if (sizes.only.has('reconcile')) rows.push(...(await reconcile(world, consume)))
  // Memory is read before the takeover kills the billing it samples.
  const memoryRows = memory.rows(RSS_LIMIT_MB)
  // The standby starts once the replays are done: one present during billing's replay would take
  // the lease the moment billing stops to be rebuilt, leaving the rebuilt one a standby. It
  // starts with an empty database, as on a fresh machine, and is killed once it is warm.
  if (sizes.only.has('takeover')) {
    standby = await startStandby(world, LEASE_TTL_SECONDS)
    rows.push(...(await standby.takeover()))
  }
  rows.push(...memoryRows)
} catch (error) {
  failure = error as Error
} finally {
  await standby?.stop()
  await world.stop()
}

const judged = rows.map(judge)
process.stdout.write(`\n${table(judged)}\n\n`)
const file = writeResults(join(root, '.bench'), {
  started_at: startedAt.toISOString(),
  finished_at: new Date().toISOString(),
  ok: failure === undefined,
  ...(failure ? { error: failure.message } : {}),
  sizes: { ...sizes, only: [...sizes.only] },
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_mb: Math.round(totalmem() / 2 ** 20),
    load_average_at_end: loadavg(),
    node: process.version,
    nats_server: natsVersion(),
  },
  rows: judged,
})
progress(`results in ${file} and .bench/latest.json; every figure against its target over the runs kept: ${writeChart(join(root, '.bench'))}`)
if (failure) {
  process.stderr.write(`benchmark failed: ${failure.stack ?? failure.message}\n`)
  process.exit(1)
}

function natsVersion(): string {
  try {
    return execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}
