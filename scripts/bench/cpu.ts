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
    const seconds = pid === undefined ? undefined : processCpuSeconds(pid)
    if (seconds !== undefined) out[worker] = seconds
  }
  return out
}

/** User + system seconds a process has spent so far; undefined without /proc or once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    // The fields after the command name (which may hold spaces) start at the state, field 3.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
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

/** The machine's processor time so far, all cores together, in clock ticks: busy and all (from /proc/stat). */
export function machineTicks(): { busy: number; all: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
    // cpu  user nice system idle iowait irq softirq steal ...
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number)
    const all = ticks.reduce((sum, n) => sum + n, 0)
    return { busy: all - ticks[3]! - ticks[4]!, all }
  } catch {
    return undefined
  }
}

/** How busy the machine's cores were between two readings, 0 to 1 (undefined without /proc). */
export function machineBusy(before: ReturnType<typeof machineTicks>, after: ReturnType<typeof machineTicks>): number | undefined {
  if (!before || !after || after.all === before.all) return undefined
  return Math.round(((after.busy - before.busy) / (after.all - before.all)) * 100) / 100
}
