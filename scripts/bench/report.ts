// What a run shows: progress on stderr while it runs, then one table of figures with their
// baselines (measured in the same run), ratios and targets, and the same as JSON.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export type Target = { kind: 'min_ratio' | 'max_ratio' | 'max_value'; limit: number }

export type Row = {
  figure: string
  unit: string
  value: number
  /** What the figure is compared with, measured in the same run. */
  baseline?: { name: string; value: number }
  target?: Target
  /** Anything else worth keeping in the JSON (sizes, samples). */
  details?: Record<string, unknown>
}

export type Judged = Row & { ratio: number | null; met: boolean | null }

const started = performance.now()

/** One progress line on stderr, stamped with the time since the run began. */
export function progress(message: string): void {
  const s = Math.round((performance.now() - started) / 1000)
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${message}\n`)
}

export function judge(row: Row): Judged {
  // A baseline of zero (a p99 under the load generator's 1 ms resolution) gives no ratio.
  const ratio = row.baseline && row.baseline.value > 0 ? row.value / row.baseline.value : null
  let met: boolean | null = null
  if (row.target?.kind === 'min_ratio') met = ratio !== null && ratio >= row.target.limit
  if (row.target?.kind === 'max_ratio') met = ratio !== null && ratio <= row.target.limit
  if (row.target?.kind === 'max_value') met = row.value <= row.target.limit
  return { ...row, ratio, met }
}

export function formatNumber(value: number): string {
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

function targetText(row: Row): string {
  if (!row.target) return ''
  const { kind, limit } = row.target
  if (kind === 'min_ratio') return `≥ ${limit}`
  if (kind === 'max_ratio') return `≤ ${limit}×`
  return `≤ ${formatNumber(limit)} ${row.unit}`
}

export function table(rows: readonly Judged[]): string {
  const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'target', 'met?']
  const lines = rows.map((r) => [
    r.figure,
    formatNumber(r.value),
    r.unit,
    r.baseline ? `${formatNumber(r.baseline.value)} (${r.baseline.name})` : '',
    r.ratio === null ? '' : r.target?.kind === 'max_ratio' ? `${r.ratio.toFixed(2)}×` : r.ratio.toFixed(2),
    targetText(r),
    r.met === null ? '' : r.met ? 'yes' : 'NO',
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const right = new Set([1, 4])
  const format = (cells: string[]) =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n')
}

/** Writes .bench/results-<timestamp>.json and .bench/latest.json; returns the first path. */
export function writeResults(dir: string, result: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true })
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z')
  const file = join(dir, `results-${stamp}.json`)
  const text = `${JSON.stringify(result, null, 2)}\n`
  writeFileSync(file, text)
  writeFileSync(join(dir, 'latest.json'), text)
  return file
}
