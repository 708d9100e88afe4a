// WAL checkpoints on a thread of their own. A checkpoint copies the pages committed to the WAL
// into the database file and syncs it. Done by the worker's own connection (SQLite's automatic
// checkpoint at 10,000 pages), the sync stopped the event loop for 60–130 ms every few seconds
// under load: the whole tail of the end-to-end latency. Here a second connection, on a worker
// thread, checkpoints every 200 ms when the WAL changed, without waiting for the worker's
// connection (PASSIVE). The worker's connection only appends to the WAL.
//
// A WAL starts again from its beginning only when a write finds it wholly checkpointed, which a
// worker writing all the time rarely lets the thread achieve; so once the WAL holds
// FINISH_PAGES, the thread checkpoints again and again until one finds almost nothing left,
// and then the worker's connection checkpoints what was committed since (milliseconds of work)
// and its next write starts the WAL again. The worker never copies a long WAL itself: that
// held a rebuild's event loop long enough to miss its lease renewal. Should the thread end,
// SQLite's automatic checkpoint comes back: the WAL stays bounded either way.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'
import type { Health } from './health.ts'
import type { Metrics } from './metrics.ts'

/** What one checkpoint did: by the thread, or the worker finishing one (`worker`). */
export type Checkpoint = { by: 'thread' | 'worker'; ok: true; pages: number; seconds: number } | { by: 'thread' | 'worker'; ok: false; error: string }

export type CheckpointListener = (checkpoint: Checkpoint) => void

/** SQLite's automatic checkpoint, in pages, when no thread checkpoints (see store.ts). */
export const AUTOCHECKPOINT_PAGES = 10_000

/** A WAL this long is finished by the worker's connection so that it starts again. */
export const FINISH_PAGES = 8_000

/**
 * One checkpoint of the thread. `quick` says it found the WAL nearly copied already (it took
 * under QUICK_MS and copied all it saw): what the worker's connection would have left to copy
 * is only what was committed since, a few milliseconds of work.
 */
type ThreadReport = { ok: true; log: number; pages: number; seconds: number; quick: boolean } | { ok: false; error: string }

/** A thread checkpoint this short leaves a tail the worker's connection may finish at once. */
const QUICK_MS = 20

// Plain CommonJS run by the thread (eval), so it needs no build step or loader of its own.
// Past FINISH_PAGES it checkpoints again at once (not at the next turn) until a checkpoint is
// quick, so the worker is asked to finish only a short tail, never a long WAL.
const THREAD = `
const { workerData, parentPort } = require('node:worker_threads')
const { statSync } = require('node:fs')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
db.pragma('synchronous = NORMAL')
let seen = -1
let stopped = false
const checkpoint = () => {
  const started = performance.now()
  const [result] = db.pragma('wal_checkpoint(PASSIVE)')
  const ms = performance.now() - started
  const quick = ms < workerData.quickMs && result.checkpointed === result.log
  parentPort.postMessage({ ok: true, log: result.log, pages: result.checkpointed, seconds: ms / 1000, quick })
  return { long: result.log >= workerData.finishPages, quick }
}
const tick = () => {
  if (stopped) return
  try {
    const wal = statSync(workerData.file + '-wal', { throwIfNoEntry: false })
    if (!wal || wal.mtimeMs === seen) return
    seen = wal.mtimeMs
    const { long, quick } = checkpoint()
    if (long && !quick) setImmediate(tick)
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String((error && error.message) || error) })
  }
}
const timer = setInterval(tick, workerData.everyMs)
parentPort.on('message', () => {
  stopped = true
  clearInterval(timer)
  try { db.close() } catch {}
  parentPort.close()
})
`

/**
 * Checkpoints `sqlite` (a WAL database in `file`) on a worker thread from now on; `told` hears
 * each checkpoint. Returns the function that stops the thread (the database stays open).
 */
export function checkpointOffThread(sqlite: Database.Database, file: string, told: CheckpointListener, everyMs = 200): () => void {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const thread = new Worker(THREAD, {
    eval: true,
    workerData: { file, driver, everyMs, quickMs: QUICK_MS, finishPages: FINISH_PAGES },
    // It keeps nothing but a connection.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
    stdout: false,
    stderr: false,
  })
  sqlite.pragma('wal_autocheckpoint = 0')
  let stopped = false
  const finish = () => {
    const started = performance.now()
    try {
      const [result] = sqlite.pragma('wal_checkpoint(PASSIVE)') as Array<{ checkpointed: number }>
      told({ by: 'worker', ok: true, pages: result!.checkpointed, seconds: (performance.now() - started) / 1000 })
    } catch (error) {
      told({ by: 'worker', ok: false, error: (error as Error).message })
    }
  }
  thread.on('message', (report: ThreadReport) => {
    if (!report.ok) return told({ by: 'thread', ok: false, error: report.error })
    told({ by: 'thread', ok: true, pages: report.pages, seconds: report.seconds })
    if (report.log >= FINISH_PAGES && report.quick && !stopped && sqlite.open) finish()
  })
  thread.on('error', (error) => {
    told({ by: 'thread', ok: false, error: `checkpoint thread ended: ${error.message}` })
    if (!stopped && sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`)
  })
  // A worker's exit does not wait for it.
  thread.unref()
  return () => {
    if (stopped) return
    stopped = true
    thread.postMessage('stop')
  }
}

/**
 * Counts checkpoints in the worker's metrics; a checkpoint that fails (a full disk: the
 * database file cannot take the WAL's pages) is a fault of the worker until one works again,
 * so /readyz says so and the log says it once.
 */
export function checkpointReporter(health: Health, metrics: Metrics): CheckpointListener {
  const made = metrics.counter('ates_sqlite_checkpoints_total', 'WAL checkpoints of the worker database, by who made them (thread, or worker finishing one) and outcome')
  const pages = metrics.counter('ates_sqlite_checkpoint_pages_total', 'Pages WAL checkpoints copied into the worker database')
  const seconds = metrics.counter('ates_sqlite_checkpoint_seconds_total', 'Time spent in WAL checkpoints; by="worker" is time the event loop waited')
  return (checkpoint) => {
    made.inc({ by: checkpoint.by, outcome: checkpoint.ok ? 'ok' : 'failed' })
    if (!checkpoint.ok) return health.fail('database checkpoints', checkpoint.error)
    pages.inc({}, checkpoint.pages)
    seconds.inc({ by: checkpoint.by }, checkpoint.seconds)
    health.ok('database checkpoints')
  }
}
