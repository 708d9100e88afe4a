// A ratio from one run moves with whatever else the machine did meanwhile: the figures judged
// against a target are measured three times in a row and judged by the median run.
import type { Row } from './report.ts'

export const RUNS = 3

/**
 * The rows of every run, each marked with its number and without a target, then the median
 * run's first row again as the judged figure. Every run's first row carries the figure, its
 * baseline and the target; its other rows are kept with it.
 */
export function medianOfRuns(figure: string, runs: readonly Row[][]): Row[] {
  const ratioOf = (row: Row) => (row.baseline && row.baseline.value > 0 ? row.value / row.baseline.value : row.value)
  const order = runs.map((rows, i) => ({ i, ratio: ratioOf(rows[0]!) })).sort((a, b) => a.ratio - b.ratio)
  const median = runs[order[Math.floor((order.length - 1) / 2)]!.i]![0]!
  const out: Row[] = []
  runs.forEach((rows, i) => {
    rows.forEach((row, j) => {
      const { target: _target, ...untargeted } = row
      out.push({ ...untargeted, figure: j === 0 ? `  run ${i + 1}: ${row.figure}` : `  ${row.figure}` })
    })
  })
  out.push({
    ...median,
    figure: `${figure}, median of ${runs.length} runs`,
    details: { ...median.details, runs: runs.map((rows) => ({ value: rows[0]!.value, ratio: ratioOf(rows[0]!) })) },
  })
  return out
}
