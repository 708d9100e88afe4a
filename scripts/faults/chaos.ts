// Crashes at seeded random points of a load: at each point a worker is SIGKILLed, stays
// down a little while, and is started again on the same data.
import type { WorkerName } from '../../workers/runtime/config.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'
import type { System } from '../../workers/runtime/testing/system.ts'
import { seeded } from './load.ts'

export type Crash = { worker: WorkerName; atTask: number; downMs: number; /** Done just before the kill. */ before?: () => Promise<void> }

/** `count` crashes spread over the first `total` tasks, cycling through the victims in a seeded order. */
export function crashPlan(seed: number, victims: readonly WorkerName[], count: number, total: number): Crash[] {
  const random = seeded(seed)
  const order = [...victims]
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const points = Array.from({ length: count }, () => Math.floor(total * (0.05 + random() * 0.85))).sort((a, b) => a - b)
  return points.map((atTask, i) => ({ worker: order[i % order.length]!, atTask, downMs: Math.floor(random() * 1500) }))
}

/** Carries out the plan as the load makes progress; resolves when every victim is back. */
export async function crashDuring(system: System, plan: readonly Crash[], progress: () => number): Promise<Crash[]> {
  const done: Crash[] = []
  for (const crash of plan) {
    await waitFor(() => progress() >= crash.atTask, `the load to reach task ${crash.atTask}`, 240_000)
    await crash.before?.()
    await system.kill(crash.worker)
    await new Promise((resolve) => setTimeout(resolve, crash.downMs))
    await system.start(crash.worker)
    done.push(crash)
  }
  return done
}
