// The suite's account of itself: scenarios run, tasks and cents the checker went through,
// differences it found. Each test file prints its own line; under `make test-faults` each
// also appends it to ATES_FAULTS_TALLY, and summary.ts adds them up into one line.
import { appendFileSync } from 'node:fs'
import type { Report } from './invariants.ts'

export type Counts = { scenarios: number; tasks: number; cents: number; differences: number; securityChecks: number }

export const ZERO: Counts = { scenarios: 0, tasks: 0, cents: 0, differences: 0, securityChecks: 0 }

export function summaryLine(c: Counts): string {
  const security = c.securityChecks ? `, ${c.securityChecks} security checks` : ''
  return `faults: ${c.scenarios} scenarios, ${c.tasks} tasks, ${c.cents} cents checked, ${c.differences} differences${security}`
}

export function add(a: Counts, b: Counts): Counts {
  return {
    scenarios: a.scenarios + b.scenarios,
    tasks: a.tasks + b.tasks,
    cents: a.cents + b.cents,
    differences: a.differences + b.differences,
    securityChecks: a.securityChecks + b.securityChecks,
  }
}

export class Tally {
  private counts: Counts = { ...ZERO }

  /** `name` tells this file's line apart from the summary. */
  constructor(private readonly name: string) {}

  /** A scenario ended with this report over the whole system: its tasks and cents replace the last ones. */
  scenario(report: Report): void {
    this.counts = {
      ...this.counts,
      scenarios: this.counts.scenarios + 1,
      tasks: report.counts.tasks,
      cents: report.counts.cents,
      differences: this.counts.differences + report.differences.length,
    }
  }

  security(checks: number): void {
    this.counts = { ...this.counts, securityChecks: this.counts.securityChecks + checks }
  }

  /** Prints this file's line, and hands it to the summary when the make target asked for it. */
  finish(): Counts {
    process.stdout.write(`${summaryLine(this.counts).replace('faults:', `faults in ${this.name}:`)}\n`)
    const file = process.env.ATES_FAULTS_TALLY
    if (file) appendFileSync(file, `${JSON.stringify(this.counts)}\n`)
    return this.counts
  }
}
