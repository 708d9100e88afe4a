// The registry's text as Prometheus reads it: histograms with cumulative buckets, collectors
// sampled at each render (a failing one leaves the rest), and the process metrics.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Metrics } from './metrics.ts'
import { processMetrics } from './process-metrics.ts'

const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('metrics registry', () => {
  test('a histogram renders cumulative buckets up to +Inf, its sum and its count, per series', async () => {
    const metrics = new Metrics()
    const h = metrics.histogram('t_seconds', 'test', [0.1, 1, 10])
    const a = h.series({ worker: 'tasks', route: '/api/tasks/:id' })
    for (const v of [0.05, 0.1, 0.5, 2, 20]) a.observe(v)
    h.observe({ worker: 'tasks', route: '/healthz' }, 0.01)
    const text = await metrics.render()
    assert.match(text, /^# TYPE t_seconds histogram$/m)
    const le = (bound: string) => sample(text, `t_seconds_bucket{route="/api/tasks/:id",worker="tasks",le="${bound}"}`)
    assert.deepEqual(['0.1', '1', '10', '+Inf'].map(le), [2, 3, 4, 5])
    assert.equal(sample(text, 't_seconds_sum{route="/api/tasks/:id",worker="tasks"}'), 22.65)
    assert.equal(sample(text, 't_seconds_count{route="/api/tasks/:id",worker="tasks"}'), 5)
    assert.equal(sample(text, 't_seconds_count{route="/healthz",worker="tasks"}'), 1)
    assert.equal(metrics.histogram('t_seconds', 'test', [0.1, 1, 10]), h, 'one histogram per name')
  })

  test('label values are escaped, and counters and gauges render as before', async () => {
    const metrics = new Metrics()
    metrics.counter('c_total', 'c').inc({ reason: 'a "quoted"\nline' }, 2)
    metrics.gauge('g', 'g').set({}, 7)
    const text = await metrics.render()
    assert.match(text, /^c_total\{reason="a \\"quoted\\"\\nline"\} 2$/m)
    assert.match(text, /^g 7$/m)
  })

  test('collectors, sync and async, run before each render; one that fails leaves the others', async () => {
    const metrics = new Metrics()
    const g = metrics.gauge('sampled', 's')
    let n = 0
    metrics.collect(() => {
      throw new Error('database locked')
    })
    metrics.collect(async () => {
      await new Promise((r) => setTimeout(r, 5))
      g.set({ kind: 'async' }, ++n)
    })
    metrics.collect(() => g.set({ kind: 'sync' }, n * 10))
    assert.equal(sample(await metrics.render(), 'sampled{kind="async"}'), 1)
    const text = await metrics.render()
    assert.equal(sample(text, 'sampled{kind="async"}'), 2)
    assert.equal(sample(text, 'sampled{kind="sync"}'), 10, 'sync collectors run before the async ones resolve')
  })

  test('the process metrics carry their usual names and real values', async () => {
    const metrics = new Metrics()
    const stop = processMetrics(metrics)
    try {
      // The monitor's timer is running once the loop has turned.
      await new Promise((r) => setTimeout(r, 30))
      const started = performance.now()
      while (performance.now() - started < 60) {
        // a busy loop: the event-loop monitor's timer fires late
      }
      await new Promise((r) => setTimeout(r, 30))
      const text = await metrics.render()
      assert.ok(sample(text, 'process_cpu_seconds_total')! > 0)
      assert.ok(sample(text, 'process_resident_memory_bytes')! > 10 * 2 ** 20)
      assert.ok(Math.abs(sample(text, 'process_start_time_seconds')! - (Date.now() / 1000 - process.uptime())) < 2)
      assert.ok(sample(text, 'process_open_fds')! > 2)
      assert.ok(sample(text, 'process_max_fds')! >= sample(text, 'process_open_fds')!)
      assert.ok(sample(text, 'nodejs_heap_size_used_bytes')! > 0)
      assert.ok(sample(text, 'nodejs_eventloop_lag_max_seconds')! >= 0.04, 'the busy loop shows as event-loop delay')
      assert.ok(sample(text, 'ates_process_resident_memory_bytes')! > 0, 'the older name is still served')
      assert.match(text, /^ates_process_memory_bytes\{kind="heap_used"\} \d+$/m)
    } finally {
      stop()
    }
  })
})
