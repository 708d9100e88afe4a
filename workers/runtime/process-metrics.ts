// The process metrics every Prometheus client library exports, under their usual names (so
// dashboards made for Node services read them as they are): CPU, memory, file descriptors, the
// start time, the JavaScript heap, and how late the event loop runs its timers.
import { readdirSync, readFileSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Metrics } from './metrics.ts'

const startTime = Math.round((Date.now() - process.uptime() * 1000) / 1000)

/** The soft limit on open files, from /proc (Linux); undefined elsewhere. */
function maxFds(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    const soft = line ? Number(line.split(/\s{2,}/)[1]) : Number.NaN
    return Number.isFinite(soft) ? soft : undefined
  } catch {
    return undefined
  }
}

/** Open file descriptors, from /proc (Linux); undefined elsewhere. */
function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined
  }
}

/** Registers the process metrics, sampled at each render; the returned function stops the event-loop monitor. */
export function processMetrics(metrics: Metrics): () => void {
  const cpu = metrics.counter('process_cpu_seconds_total', 'User and system CPU time the process spent, in seconds')
  const cpuUser = metrics.counter('process_cpu_user_seconds_total', 'User CPU time the process spent, in seconds')
  const cpuSystem = metrics.counter('process_cpu_system_seconds_total', 'System CPU time the process spent, in seconds')
  const resident = metrics.gauge('process_resident_memory_bytes', 'Resident memory size in bytes')
  const started = metrics.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds')
  const fds = metrics.gauge('process_open_fds', 'Open file descriptors')
  const fdLimit = metrics.gauge('process_max_fds', 'The most file descriptors the process may open')
  const heapTotal = metrics.gauge('nodejs_heap_size_total_bytes', 'Size of the JavaScript heap, in bytes')
  const heapUsed = metrics.gauge('nodejs_heap_size_used_bytes', 'Used size of the JavaScript heap, in bytes')
  const external = metrics.gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects (buffers), in bytes')
  const lag = {
    p50: metrics.gauge('nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the last scrape, in seconds'),
    p90: metrics.gauge('nodejs_eventloop_lag_p90_seconds', '90th percentile of the event-loop delay since the last scrape, in seconds'),
    p99: metrics.gauge('nodejs_eventloop_lag_p99_seconds', '99th percentile of the event-loop delay since the last scrape, in seconds'),
    max: metrics.gauge('nodejs_eventloop_lag_max_seconds', 'Longest event-loop delay since the last scrape, in seconds'),
    mean: metrics.gauge('nodejs_eventloop_lag_mean_seconds', 'Mean event-loop delay since the last scrape, in seconds'),
  }
  // The names aTES served before these, kept for what reads them (alerts, dashboards, make bench).
  const atesResident = metrics.gauge('ates_process_resident_memory_bytes', 'Resident set size')
  const atesMemory = metrics.gauge('ates_process_memory_bytes', 'Memory of the process besides its RSS: heap_used and heap_total (JavaScript heap), external (buffers and native objects)')
  metrics.gauge('nodejs_version_info', 'Node.js version').set({ version: process.version }, 1)
  started.set({}, startTime)
  const limit = maxFds()
  if (limit !== undefined) fdLimit.set({}, limit)
  // The delay of a timer the monitor arms every 10 ms: what any callback waited on a busy loop.
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()

  metrics.collect(() => {
    const usage = process.cpuUsage()
    cpuUser.set({}, usage.user / 1e6)
    cpuSystem.set({}, usage.system / 1e6)
    cpu.set({}, (usage.user + usage.system) / 1e6)
    const memory = process.memoryUsage()
    resident.set({}, memory.rss)
    heapTotal.set({}, memory.heapTotal)
    heapUsed.set({}, memory.heapUsed)
    external.set({}, memory.external)
    atesResident.set({}, memory.rss)
    atesMemory.set({ kind: 'heap_used' }, memory.heapUsed)
    atesMemory.set({ kind: 'heap_total' }, memory.heapTotal)
    atesMemory.set({ kind: 'external' }, memory.external)
    const open = openFds()
    if (open !== undefined) fds.set({}, open)
    // Nanoseconds; a histogram with no sample yet answers NaN for its mean.
    if (delay.count > 0) {
      lag.p50.set({}, delay.percentile(50) / 1e9)
      lag.p90.set({}, delay.percentile(90) / 1e9)
      lag.p99.set({}, delay.percentile(99) / 1e9)
      lag.max.set({}, delay.max / 1e9)
      lag.mean.set({}, delay.mean / 1e9)
      delay.reset()
    }
  })
  return () => delay.disable()
}
