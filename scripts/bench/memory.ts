// Peak resident memory of each worker process: VmHWM from /proc/<pid>/status is the high-water
// mark of its RSS. A worker restarted during the run (a replay) is sampled before it stops.
import { readFileSync } from 'node:fs'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import type { System } from '../../workers/runtime/testing/system.ts'
import type { Row } from './report.ts'

export class Memory {
  private readonly peaks = new Map<WorkerName, number>()

  constructor(private readonly system: System) {}

  /** Reads the worker's peak so far; keeps the highest seen over its processes. */
  sample(worker: WorkerName): void {
    const pid = this.system.pid(worker)
    if (pid === undefined) return
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (match) this.peaks.set(worker, Math.max(this.peaks.get(worker) ?? 0, Number(match[1]) * 1024))
    } catch {
      // No /proc (not Linux) or the process is gone: nothing to read.
    }
  }

  rows(limitMb: number): Row[] {
    for (const worker of WORKERS) this.sample(worker)
    return WORKERS.filter((w) => this.peaks.has(w)).map((worker) => ({
      figure: `peak RSS ${worker}`,
      unit: 'MB',
      value: this.peaks.get(worker)! / 2 ** 20,
      target: { kind: 'max_value', limit: limitMb },
    }))
  }
}
