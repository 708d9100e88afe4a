// CPU time each worker process spent (user + system, from /proc/<pid>/stat): on a shared
// machine a rate moves with the neighbours' load, the CPU a scenario cost each worker much less.
import { readFileSync } from 'node:fs'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import type { System } from '../../workers/runtime/testing/system.ts'

const TICKS_PER_SECOND = 100

export type CpuSeconds = Partial<Record<WorkerName, number>>

export function cpuSeconds(system: System): CpuSeconds {
  const out: CpuSeconds = {}
  for (const worker of WORKERS) {
    const pid = system.pid(worker)
    if (pid === undefined) continue
    try {
      // The fields after the command name (which may hold spaces) start at the state, field 3.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out[worker] = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    } catch {
      // No /proc (not Linux) or the process is gone.
    }
  }
  return out
}

/** CPU seconds spent between two readings, rounded to hundredths. */
export function cpuSpent(before: CpuSeconds, after: CpuSeconds): CpuSeconds {
  const out: CpuSeconds = {}
  for (const worker of WORKERS) {
    const a = after[worker]
    if (a !== undefined) out[worker] = Math.round((a - (before[worker] ?? 0)) * 100) / 100
  }
  return out
}
