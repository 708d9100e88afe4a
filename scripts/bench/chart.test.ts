import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { tempDir } from '../../workers/runtime/testing/helpers.ts'
import { figureKey, panelsOf, type Result, writeChart } from './chart.ts'
import { judge, type Row } from './report.ts'
import { medianOfRuns } from './runs.ts'

const pipeline = (tasks: number, value: number): Row => ({
  figure: `pipeline, ${tasks.toLocaleString('en-US')} tasks → fees seen by analytics`,
  unit: 'events/s',
  value,
  baseline: { name: 'raw publish+consume', value: 10_000 },
  target: { kind: 'min_ratio', limit: 0.5 },
})

const result = (scale: string, startedAt: string, rows: Row[]): Result => ({ started_at: startedAt, sizes: { scale }, rows: rows.map(judge) })

describe('benchmark runs', () => {
  test('the median run is the judged one; every run is kept, without a target', () => {
    const rows = medianOfRuns('pipeline', [[pipeline(33_334, 4_000)], [pipeline(33_333, 6_000)], [pipeline(33_333, 5_000)]])
    assert.deepEqual(
      rows.map((r) => [r.figure.startsWith('  run'), r.target?.limit ?? null]),
      [[true, null], [true, null], [true, null], [false, 0.5]],
    )
    const judged = judge(rows[3]!)
    assert.equal(judged.figure, 'pipeline, median of 3 runs')
    assert.equal(judged.ratio, 0.5)
    assert.equal(judged.met, true)
  })

  test('a chart has one panel per judged figure, runs lined up across sizes, met and unmet marked', () => {
    assert.equal(figureKey('replay billing, 1,234,567 events'), 'replay billing, N events')
    const results = [
      result('full', '2026-11-20T10:00:00Z', [pipeline(100_000, 4_400), { figure: 'peak RSS tasks (pipeline)', unit: 'MB', value: 150, target: { kind: 'max_value', limit: 200 } }]),
      result('full', '2026-11-21T10:00:00Z', [pipeline(33_334, 5_500), { figure: 'raw durable consume+ack', unit: 'events/s', value: 40_000 }]),
    ]
    const panels = panelsOf(results)
    assert.deepEqual(panels.map((p) => [p.figure, p.points.map((q) => [q.run, q.y, q.met])]), [
      ['pipeline, N tasks → fees seen by analytics', [[0, 0.44, false], [1, 0.55, true]]],
      ['peak RSS tasks (pipeline)', [[0, 150, true]]],
    ])

    const dir = tempDir('ates-chart-')
    try {
      writeFileSync(join(dir.path, 'results-2026-11-20T10-00-00Z.json'), JSON.stringify(results[0]))
      writeFileSync(join(dir.path, 'results-2026-11-21T10-00-00Z.json'), JSON.stringify(results[1]))
      // A quick run last: the chart shows the runs of its own size only.
      writeFileSync(join(dir.path, 'results-2026-11-22T10-00-00Z.json'), JSON.stringify(result('quick', '2026-11-22T10:00:00Z', [pipeline(2_000, 2_000)])))
      const svg = readFileSync(writeChart(dir.path), 'utf8')
      assert.match(svg, /^<svg /)
      assert.match(svg, /over 1 run\(s\) at scale quick/)
      assert.equal(svg.match(/<circle /g)?.length, 1)
      assert.match(svg, /#c0392b/, 'a ratio of 0.2 against ≥ 0.5 is drawn as not met')
    } finally {
      dir.remove()
    }
  })
})
