// Reassigning every open task (POST /api/tasks/reassign as a manager), timed until billing has
// applied one fee per open task and every consumer caught up; against the time to publish and
// then consume as many raw events. Each round adds 2 events per task to the streams.
import { type CpuSeconds, cpuSeconds, cpuSpent } from './cpu.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { call, check, checkAgreement, stored, until, type World } from './world.ts'

/** `atLeast`: the tasks the pipeline left open; the latency scenario may have added some. */
export async function reassign(world: World, atLeast: number, rounds: number, rawSeconds: (events: number) => number): Promise<Row[]> {
  const applied = () => stored(world.jsm, 'BILLING', 'billing.transaction_applied.>')
  const samples: Array<{ seconds: number; response_seconds: number; cpu_seconds: CpuSeconds }> = []
  let open = atLeast
  for (let round = 1; round <= rounds; round++) {
    const before = await applied()
    progress(`reassign ${round}/${rounds}: at least ${atLeast.toLocaleString('en-US')} open tasks`)
    const cpuBefore = cpuSeconds(world.system)
    const started = performance.now()
    const { reassigned } = await call<{ reassigned: number }>(`${world.system.urls.tasks}/api/tasks/reassign`, world.manager, { method: 'POST' })
    const responded = (performance.now() - started) / 1000
    check(reassigned >= atLeast, `${reassigned} tasks reassigned, at least ${atLeast} were open`)
    open = reassigned
    await until('fees applied', applied, before + open)
    await world.system.settled(20 * 60_000)
    const seconds = (performance.now() - started) / 1000
    const cpu = cpuSpent(cpuBefore, cpuSeconds(world.system))
    await checkAgreement(world)
    samples.push({ seconds, response_seconds: responded, cpu_seconds: cpu })
    progress(`reassign ${round}/${rounds}: ${seconds.toFixed(1)} s (the request answered after ${responded.toFixed(1)} s), CPU seconds ${JSON.stringify(cpu)}`)
  }
  const median = [...samples].sort((a, b) => a.seconds - b.seconds)[Math.floor(samples.length / 2)]!
  return [
    {
      figure: `reassign every open task → fees applied${rounds > 1 ? ` (median of ${rounds})` : ''}`,
      unit: 's',
      value: median.seconds,
      baseline: { name: 'raw publish then consume', value: rawSeconds(open) },
      target: { kind: 'max_ratio', limit: 10 },
      details: { open, samples },
    },
  ]
}
