// What a running worker looks after besides its work: it forgets handled events once they are
// old (the inbox stays bounded), and watches how full the broker's storage is (the money
// streams are kept for good: the ledger is rebuilt from them, so storage only grows), how
// full its own database's disk is, and how many of its dead letters wait in the DLQ.
import { statfsSync } from 'node:fs'
import type { JetStreamManager } from '@nats-io/jetstream'
import type { Config, WorkerName } from './config.ts'
import { describeFault, type Health } from './health.ts'
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'
import { dlqSubject } from './nats.ts'
import { pruneInbox, type Store } from './store.ts'
import type { Stoppable } from './worker.ts'

/** Past this share of the broker's storage, /readyz warns and the log says so. */
export const STORAGE_WARNING = 0.8

/** Past this share of its disk used, the database's disk is a warning of /readyz. */
export const DISK_WARNING = 0.95

/** A warning when the disk holding `dir` is nearly full; undefined otherwise. */
export function diskWarning(dir: string): string | undefined {
  try {
    const disk = statfsSync(dir)
    const total = disk.blocks * disk.bsize
    const free = disk.bavail * disk.bsize
    if (total === 0 || free >= total * (1 - DISK_WARNING)) return undefined
    return `the disk of ${dir} is ${Math.floor(100 - (100 * free) / total)}% full (${free} bytes free): the database refuses writes once it needs more`
  } catch {
    return undefined
  }
}

/** `store` is asked each time: a worker taking over may have started its database anew. */
export type Upkeep = { worker: WorkerName; store: () => Store<unknown>; jsm: JetStreamManager; config: Config; health: Health; metrics: Metrics; log: Logger }

export function startUpkeep(upkeep: Upkeep): Stoppable {
  const { worker, store, jsm, config, health, metrics, log } = upkeep
  const used = metrics.gauge('ates_jetstream_storage_bytes', 'JetStream file storage used by the streams (the whole account)')
  const limit = metrics.gauge('ates_jetstream_storage_limit_bytes', 'JetStream file storage the server may use (ATES_JETSTREAM_MAX_BYTES, or the account limit)')
  const deadLetters = metrics.gauge('ates_dead_letters', "Dead letters of this worker's consumers waiting in the DLQ stream (make dlq lists them, make dlq-redrive sends them back)")
  const dlq = dlqSubject(worker)

  const prune = () => {
    try {
      // Real time, as the inbox records it (a worker's own clock may be set for a test).
      const before = Date.now() - config.inboxKeepSeconds * 1000
      const pruned = pruneInbox(store(), before)
      if (pruned > 0) log.info('inbox pruned', { events: pruned, handled_before: new Date(before).toISOString() })
    } catch (error) {
      log.warn('inbox not pruned this time', { error: describeFault(error) })
    }
  }
  const watch = async () => {
    try {
      const info = await jsm.getAccountInfo()
      const max = info.limits.max_storage > 0 ? info.limits.max_storage : config.jetstreamMaxBytes
      used.set({}, info.storage)
      limit.set({}, max)
      const share = info.storage / max
      health.warn('storage', share >= STORAGE_WARNING ? `JetStream storage is ${Math.round(share * 100)}% full (${info.storage} of ${max} bytes): the streams are kept for good, so add storage` : undefined)
    } catch {
      // JetStream unreachable: /readyz reports NATS already
    }
    try {
      const info = await jsm.streams.info('DLQ', { subjects_filter: dlq })
      deadLetters.set({ worker }, info.state.subjects?.[dlq] ?? 0)
    } catch {
      // as above; the last count stays
    }
  }
  prune()
  void watch()
  const pruning = setInterval(prune, 3600_000)
  const watching = setInterval(() => void watch(), 30_000)
  return {
    stop: () => {
      clearInterval(pruning)
      clearInterval(watching)
    },
  }
}
