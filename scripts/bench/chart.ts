// Every judged figure across the runs kept in .bench/, one small chart each: the ratio (or,
// for a figure judged by its value, the value) of each run of the latest run's size, the
// target as a dashed line, a point green where it was met and red where not.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Judged } from './report.ts'

export type Result = { started_at: string; sizes: { scale: string }; rows: Judged[] }

type Point = { run: number; y: number; met: boolean | null }
type Panel = { figure: string; unit: string; kind: NonNullable<Judged['target']>['kind']; limit: number; points: Point[] }

/** A figure's name without its sizes ("replay billing, 1,234,567 events" → "replay billing, N events"), so runs line up. */
export const figureKey = (figure: string) => figure.replace(/\d[\d,.]*/g, 'N').trim()

export function panelsOf(results: readonly Result[]): Panel[] {
  const panels = new Map<string, Panel>()
  results.forEach((result, run) => {
    for (const row of result.rows) {
      if (!row.target) continue
      const y = row.target.kind === 'max_value' ? row.value : row.ratio
      if (y === null || !Number.isFinite(y)) continue
      const key = figureKey(row.figure)
      let panel = panels.get(key)
      if (!panel) {
        panel = { figure: key, unit: row.target.kind === 'max_value' ? row.unit : 'ratio', kind: row.target.kind, limit: row.target.limit, points: [] }
        panels.set(key, panel)
      }
      panel.limit = row.target.limit
      panel.points.push({ run, y, met: row.met })
    }
  })
  return [...panels.values()]
}

const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
const label = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2))

export function renderChart(results: readonly Result[]): string {
  const panels = panelsOf(results)
  const columns = 3
  const width = 320
  const height = 170
  const pad = { left: 46, right: 12, top: 34, bottom: 26 }
  const rows = Math.max(1, Math.ceil(panels.length / columns))
  const total = { width: columns * width, height: rows * height + 40 }
  const runs = Math.max(1, results.length)
  const last = results[results.length - 1]
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total.width}" height="${total.height}" viewBox="0 0 ${total.width} ${total.height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="24" font-size="15" font-weight="bold">aTES benchmark: each figure against its target over ${results.length} run(s) at scale ${escape(last?.sizes.scale ?? '?')}${last ? `, the last on ${escape(last.started_at.slice(0, 16).replace('T', ' '))} UTC` : ''}</text>`,
  ]
  panels.forEach((panel, index) => {
    const x0 = (index % columns) * width
    const y0 = 40 + Math.floor(index / columns) * height
    const plot = { x: x0 + pad.left, y: y0 + pad.top, w: width - pad.left - pad.right, h: height - pad.top - pad.bottom }
    const top = Math.max(panel.limit, ...panel.points.map((p) => p.y)) * 1.15 || 1
    const px = (run: number) => plot.x + (runs === 1 ? plot.w / 2 : (run / (runs - 1)) * plot.w)
    const py = (y: number) => plot.y + plot.h - (Math.max(0, y) / top) * plot.h
    const goal = panel.kind === 'min_ratio' ? `≥ ${panel.limit}` : panel.kind === 'max_ratio' ? `≤ ${panel.limit}×` : `≤ ${label(panel.limit)} ${panel.unit}`
    parts.push(
      `<g>`,
      `<text x="${x0 + 10}" y="${y0 + 16}" font-weight="bold">${escape(panel.figure.slice(0, 52))}</text>`,
      `<text x="${x0 + 10}" y="${y0 + 29}" fill="#555">${escape(panel.unit)}, target ${escape(goal)}</text>`,
      `<rect x="${plot.x}" y="${plot.y}" width="${plot.w}" height="${plot.h}" fill="#fafafa" stroke="#ddd"/>`,
      `<text x="${plot.x - 4}" y="${plot.y + 4}" text-anchor="end" fill="#555">${label(top)}</text>`,
      `<text x="${plot.x - 4}" y="${plot.y + plot.h}" text-anchor="end" fill="#555">0</text>`,
      `<line x1="${plot.x}" x2="${plot.x + plot.w}" y1="${py(panel.limit)}" y2="${py(panel.limit)}" stroke="#888" stroke-dasharray="5 3"/>`,
      `<text x="${plot.x + plot.w}" y="${py(panel.limit) - 3}" text-anchor="end" fill="#888">${escape(label(panel.limit))}</text>`,
    )
    if (panel.points.length > 1) {
      parts.push(`<polyline fill="none" stroke="#4a6fa5" stroke-width="1.5" points="${panel.points.map((p) => `${px(p.run).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`)
    }
    for (const p of panel.points) {
      const colour = p.met === null ? '#4a6fa5' : p.met ? '#2e8b57' : '#c0392b'
      parts.push(`<circle cx="${px(p.run).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${colour}"><title>run ${p.run + 1}: ${label(p.y)}</title></circle>`)
    }
    const latest = panel.points[panel.points.length - 1]
    if (latest) parts.push(`<text x="${plot.x + 4}" y="${plot.y + 12}" fill="#333">last ${escape(label(latest.y))}</text>`)
    parts.push(`</g>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}

/** Writes .bench/ratios.svg from the results there of the latest run's scale, oldest first; returns its path. */
export function writeChart(dir: string): string {
  const results = readdirSync(dir)
    .filter((f) => /^results-.*\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Result)
  const scale = results[results.length - 1]?.sizes.scale
  const file = join(dir, 'ratios.svg')
  writeFileSync(file, renderChart(results.filter((r) => r.sizes.scale === scale)))
  return file
}
