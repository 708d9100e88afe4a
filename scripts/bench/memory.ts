// Peak resident memory of each worker process: VmHWM from /proc/<pid>/status is the high-water
// mark of its RSS. A worker restarted during the run (a replay) is sampled before it stops.
// Every worker is sampled after each scenario too, so a peak is reported with the scenario
// that raised it: the high-water mark only grows, so it rose during the last one run.
import { readFileSync } from 'node:fs'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import type { System } from '../../workers/runtime/testing/system.ts'
import type { Row } from './report.ts'

type Peak = { bytes: number; during: string }

export class Memory {
  private readonly peaks = new Map<WorkerName, Peak>()
  /** The high-water mark last read from each process, by pid. */
  private readonly seen = new Map<number, number>()

  constructor(private readonly system: System) {}

  /** Reads the worker's peak so far; keeps the highest seen over its processes. */
  sample(worker: WorkerName, during: string): void {
    const pid = this.system.pid(worker)
    if (pid === undefined) return
    let bytes: number
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (!match) return
      bytes = Number(match[1]) * 1024
    } catch {
      return // No /proc (not Linux) or the process is gone: nothing to read.
    }
    const rose = bytes > (this.seen.get(pid) ?? 0)
    this.seen.set(pid, bytes)
    if (rose && bytes > (this.peaks.get(worker)?.bytes ?? 0)) this.peaks.set(worker, { bytes, during })
  }

  /** Samples every worker at the end of a scenario. */
  after(scenario: string): void {
    for (const worker of WORKERS) this.sample(worker, scenario)
  }

  rows(limitMb: number): Row[] {
    return WORKERS.filter((w) => this.peaks.has(w)).map((worker) => {
      const peak = this.peaks.get(worker)!
      return {
        figure: `peak RSS ${worker} (${peak.during})`,
        unit: 'MB',
        value: peak.bytes / 2 ** 20,
        target: { kind: 'max_value', limit: limitMb },
        details: { during: peak.during },
      }
    })
  }
}
