// deploy/observability/ against a running system: every metric the dashboard and the alert
// rules read is served by some worker's /metrics, and Prometheus scrapes the ports `make up`
// listens on.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig, WORKERS } from '../workers/runtime/config.ts'
import { type System, startSystem } from '../workers/runtime/testing/system.ts'
import { alertExpressions, dashboardExpressions, metricNames, servedMetrics, unserved } from './lib/promql.ts'
import { root } from './lib/stack.ts'

const dir = join(root, 'deploy', 'observability')
const expressions = [...alertExpressions(join(dir, 'alerts.yml')), ...dashboardExpressions(join(dir, 'dashboard.json'))]

describe('metric names in PromQL', () => {
  test('names are found outside functions, label matchers, ranges, grouping and variables', () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.99, sum by (worker, le) (rate(ates_x_bucket{status=~"5..", worker=~"$worker"}[$__rate_interval]))) > bool 0.5'),
      ['ates_x_bucket'],
    )
    assert.deepEqual(metricNames('max(a_bytes / b_bytes) > 0.8 and on (consumer) rate(c_total[5m] offset 1h) == 0 or up{job="ates"} == 1e3'), ['a_bytes', 'b_bytes', 'c_total', 'up'])
  })

  test('a name nobody serves is caught, a histogram is read through its series', () => {
    const served = new Map([['ates_h_seconds', 'histogram'], ['ates_g', 'gauge']])
    assert.deepEqual(unserved('rate(ates_h_seconds_bucket[5m]) + ates_h_seconds_count + ates_g + up', served), [])
    assert.deepEqual(unserved('ates_g_sum + ates_bogus_total', served), ['ates_g_sum', 'ates_bogus_total'])
  })

  test('every alert rule and every dashboard panel reads some metric', () => {
    assert.ok(expressions.filter((e) => e.where.startsWith('alert')).length >= 14)
    const alerts = readFileSync(join(dir, 'alerts.yml'), 'utf8')
    assert.equal(expressions.filter((e) => e.where.startsWith('alert')).length, [...alerts.matchAll(/^ +- alert: /gm)].length, 'each rule with its expr')
    for (const { where, expr } of expressions) assert.ok(metricNames(expr).length > 0, `${where}: ${expr}`)
  })
})

describe('the dashboard and Prometheus config', () => {
  test('panels have ids of their own and read the chosen Prometheus', () => {
    type Panel = { id: number; type: string; datasource?: { uid: string }; targets?: Array<{ datasource?: { uid: string } }> }
    const dashboard = JSON.parse(readFileSync(join(dir, 'dashboard.json'), 'utf8')) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string }> } }
    assert.equal(dashboard.uid, 'ates-overview')
    const ids = dashboard.panels.map((p) => p.id)
    assert.equal(new Set(ids).size, ids.length)
    assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'))
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${datasource}', `panel ${panel.id}`)
      for (const target of panel.targets ?? []) assert.equal(target.datasource?.uid, '${datasource}')
    }
  })

  test("prometheus.yml scrapes every worker on make up's port, named in the label worker, with the alert rules", () => {
    const config = readFileSync(join(dir, 'prometheus.yml'), 'utf8')
    const targets = [...config.matchAll(/- targets: \["localhost:(\d+)"\]\n\s+labels: \{ worker: (\w+) \}/g)].map((m) => [m[2], Number(m[1])])
    const ports = loadConfig({}).ports
    assert.deepEqual(targets, WORKERS.map((w) => [w, ports[w]]).sort((a, b) => Number(a[1]) - Number(b[1])))
    assert.match(config, /^rule_files:\n {2}- alerts\.yml$/m)
    assert.match(config, /- job_name: ates\n/, 'the job the alert rules name')
  })
})

describe('every metric the dashboard and the alerts read is served by a running worker', () => {
  let system: System
  const scraped = new Map<string, Map<string, string>>()

  before(async () => {
    system = await startSystem()
    await system.settled()
    for (const worker of WORKERS) {
      // A request first: the request histogram has a series to show.
      await fetch(`${system.urls[worker]}/healthz`)
      scraped.set(worker, servedMetrics(await (await fetch(`${system.urls[worker]}/metrics`)).text()))
    }
  })
  after(() => system?.stop())

  test('each worker serves the metrics every worker has, and is ready', async () => {
    for (const worker of WORKERS) {
      const text = await (await fetch(`${system.urls[worker]}/metrics`)).text()
      assert.match(text, new RegExp(`^ates_ready\\{worker="${worker}"\\} 1$`, 'm'), worker)
      assert.match(text, new RegExp(`^ates_http_request_duration_seconds_count\\{method="GET",route="/healthz",status="200",worker="${worker}"\\} \\d+$`, 'm'), worker)
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'ates_jetstream_storage_bytes', 'ates_dead_letters']) {
        assert.ok(scraped.get(worker)!.has(name), `${worker} serves ${name}`)
      }
    }
  })

  test('no expression reads a metric nobody serves', () => {
    const served = new Map<string, string>()
    for (const metrics of scraped.values()) for (const [name, type] of metrics) served.set(name, type)
    const missing = expressions.flatMap(({ where, expr }) => unserved(expr, served).map((name) => `${where}: ${name}`))
    assert.deepEqual(missing, [])
  })
})
