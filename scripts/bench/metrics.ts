// What the metrics cost a worker: recording HTTP requests and events, and rendering /metrics,
// with the registry the workers use (workers/runtime/metrics.ts: counters, gauges, histograms,
// the process metrics) against the counters-and-gauges registry it grew from
// (legacy-metrics.ts, kept as it was), in the same run on the same machine.
import { HTTP_BUCKETS, Metrics } from '../../workers/runtime/metrics.ts'
import { processMetrics } from '../../workers/runtime/process-metrics.ts'
import { AGE_BUCKETS, HANDLING_BUCKETS } from '../../workers/runtime/consumer.ts'
import { Metrics as LegacyMetrics } from './legacy-metrics.ts'
import type { Row } from './report.ts'

/** What one scrape interval of a busy worker records, then one render. */
export const WORKLOAD = { routes: 20, statuses: ['200', '404', '422'], requests: 1000, consumers: 4, events: 4000, batch: 100 } as const

/** One registry driven as a worker drives it: a request, a committed batch of events, a render. */
export type Recorder = {
  request(route: string, status: string, seconds: number): void
  batch(consumer: number, events: number, seconds: number, age: number): void
  render(): Promise<string> | string
}

/** The registry as the workers use it now: counters as before, plus the histograms and the process metrics. */
export function currentRecorder(): Recorder & { stop(): void } {
  const metrics = new Metrics()
  const requests = metrics.counter('ates_http_requests_total', 'HTTP requests')
  const seconds = metrics.counter('ates_http_request_seconds_total', 'Time spent answering HTTP requests')
  const durations = metrics.histogram('ates_http_request_duration_seconds', 'HTTP request duration', HTTP_BUCKETS)
  const series = new Map<string, { requests: { inc(by?: number): void }; seconds: { inc(by?: number): void }; duration: { observe(v: number): void } }>()
  const events = metrics.counter('ates_consumer_events_total', 'Events a consumer handled')
  const batches = metrics.counter('ates_consumer_batches_total', 'Batches committed')
  const handling = Array.from({ length: WORKLOAD.consumers }, (_, c) => metrics.histogram('ates_event_handling_duration_seconds', 'handling', HANDLING_BUCKETS).series({ worker: 'bench', consumer: `c${c}` }))
  const ages = Array.from({ length: WORKLOAD.consumers }, (_, c) => metrics.histogram('ates_event_age_seconds', 'age', AGE_BUCKETS).series({ worker: 'bench', consumer: `c${c}` }))
  const stop = processMetrics(metrics)
  return {
    request(route, status, s) {
      const key = `GET ${status} ${route}`
      let counted = series.get(key)
      if (!counted) {
        counted = {
          requests: requests.series({ method: 'GET', route, status }),
          seconds: seconds.series({ route }),
          duration: durations.series({ worker: 'bench', method: 'GET', route, status }),
        }
        series.set(key, counted)
      }
      counted.requests.inc()
      counted.seconds.inc(s)
      counted.duration.observe(s)
    },
    batch(consumer, n, s, age) {
      batches.inc({ consumer: `c${consumer}` })
      events.inc({ consumer: `c${consumer}`, outcome: 'applied' }, n)
      const h = handling[consumer]!
      const a = ages[consumer]!
      for (let i = 0; i < n; i++) {
        h.observe(s)
        a.observe(age)
      }
    },
    render: () => metrics.render(),
    stop,
  }
}

/** The registry as it was: counters and gauges, no histograms, no process metrics. */
export function legacyRecorder(): Recorder {
  const metrics = new LegacyMetrics()
  const requests = metrics.counter('ates_http_requests_total', 'HTTP requests')
  const seconds = metrics.counter('ates_http_request_seconds_total', 'Time spent answering HTTP requests')
  const series = new Map<string, { requests: { inc(by?: number): void }; seconds: { inc(by?: number): void } }>()
  const events = metrics.counter('ates_consumer_events_total', 'Events a consumer handled')
  const batches = metrics.counter('ates_consumer_batches_total', 'Batches committed')
  const resident = metrics.gauge('ates_process_resident_memory_bytes', 'Resident set size')
  metrics.collect(() => resident.set({}, process.memoryUsage().rss))
  return {
    request(route, status, s) {
      const key = `GET ${status} ${route}`
      let counted = series.get(key)
      if (!counted) {
        counted = { requests: requests.series({ method: 'GET', route, status }), seconds: seconds.series({ route }) }
        series.set(key, counted)
      }
      counted.requests.inc()
      counted.seconds.inc(s)
    },
    batch(consumer, n) {
      batches.inc({ consumer: `c${consumer}` })
      events.inc({ consumer: `c${consumer}`, outcome: 'applied' }, n)
    },
    render: () => metrics.render(),
  }
}

/** One scrape interval's recording, then one render; the nanoseconds of each part. */
export async function scrapeInterval(recorder: Recorder): Promise<{ requestNs: number; eventNs: number; renderNs: number; bytes: number }> {
  const { routes, statuses, requests, consumers, events, batch } = WORKLOAD
  const t0 = performance.now()
  for (let i = 0; i < requests; i++) recorder.request(`/api/route/${i % routes}`, statuses[i % statuses.length]!, (i % 50) / 1000)
  const t1 = performance.now()
  for (let i = 0; i < events / batch; i++) recorder.batch(i % consumers, batch, 0.00003 + (i % 7) / 1e5, (i % 13) / 10)
  const t2 = performance.now()
  const text = await recorder.render()
  const t3 = performance.now()
  return { requestNs: ((t1 - t0) * 1e6) / requests, eventNs: ((t2 - t1) * 1e6) / events, renderNs: (t3 - t2) * 1e6, bytes: text.length }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** Both registries, interval after interval in turns (the machine's noise falls on both), compared by their medians. */
export async function compareRegistries(rounds: number, contender: () => Recorder & { stop?(): void } = currentRecorder): Promise<{ current: Summary; legacy: Summary }> {
  const current = contender()
  const legacy = legacyRecorder()
  const samples = { current: [] as Awaited<ReturnType<typeof scrapeInterval>>[], legacy: [] as Awaited<ReturnType<typeof scrapeInterval>>[] }
  try {
    // The first rounds warm the JIT and fill every series; they are not counted.
    for (let i = 0; i < 20; i++) {
      await scrapeInterval(current)
      await scrapeInterval(legacy)
    }
    for (let i = 0; i < rounds; i++) {
      samples.current.push(await scrapeInterval(current))
      samples.legacy.push(await scrapeInterval(legacy))
    }
  } finally {
    current.stop?.()
  }
  return { current: summary(samples.current), legacy: summary(samples.legacy) }
}

export type Summary = { requestNs: number; eventNs: number; renderUs: number; intervalUs: number; bytes: number }

function summary(samples: Array<{ requestNs: number; eventNs: number; renderNs: number; bytes: number }>): Summary {
  const interval = samples.map((s) => (s.requestNs * WORKLOAD.requests + s.eventNs * WORKLOAD.events + s.renderNs) / 1000)
  return {
    requestNs: median(samples.map((s) => s.requestNs)),
    eventNs: median(samples.map((s) => s.eventNs)),
    renderUs: median(samples.map((s) => s.renderNs)) / 1000,
    intervalUs: median(interval),
    bytes: samples.at(-1)?.bytes ?? 0,
  }
}

/** The rows of `make bench`: each part of the cost, with the old registry as its baseline. */
export async function metricsCost(rounds = 300): Promise<Row[]> {
  const { current, legacy } = await compareRegistries(rounds)
  const { requests, events } = WORKLOAD
  const baseline = (value: number) => ({ name: 'legacy registry', value })
  return [
    {
      figure: `metrics: ${requests / 1000}k requests + ${events / 1000}k events recorded, one render`,
      unit: 'µs',
      value: current.intervalUs,
      baseline: baseline(legacy.intervalUs),
      details: { current, legacy, workload: WORKLOAD },
    },
    { figure: 'metrics: one HTTP request recorded', unit: 'ns', value: current.requestNs, baseline: baseline(legacy.requestNs) },
    { figure: 'metrics: one event recorded (legacy: its batch counters)', unit: 'ns', value: current.eventNs, baseline: baseline(legacy.eventNs) },
    { figure: 'metrics: one render of /metrics', unit: 'µs', value: current.renderUs, baseline: baseline(legacy.renderUs), details: { bytes: current.bytes, legacy_bytes: legacy.bytes } },
  ]
}
