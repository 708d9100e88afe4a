// The pipeline: N tasks created through tasks' HTTP API (autocannon in its own process), until
// billing has priced every task and applied every first assignment fee, and analytics has seen
// all of it. Counted events: tasks.created, tasks.assigned, billing.task_priced and
// billing.transaction_applied, 4 per task, each published once and consumed at least once.
import { cpuSeconds, cpuSpent, machineBusy, machineTicks } from './cpu.ts'
import { httpLoad } from './http-load.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { check, checkAgreement, stored, until, type World } from './world.ts'

export async function pipeline(world: World, tasks: number, connections: number, rawRate: number): Promise<Row[]> {
  const { urls } = world.system
  const count = {
    created: () => stored(world.jsm, 'TASKS', 'tasks.created.>'),
    priced: () => stored(world.jsm, 'BILLING', 'billing.task_priced.>'),
    applied: () => stored(world.jsm, 'BILLING', 'billing.transaction_applied.>'),
  }
  const before = { created: await count.created(), priced: await count.priced(), applied: await count.applied() }
  progress(`pipeline: creating ${tasks.toLocaleString('en-US')} tasks through POST /api/tasks`)
  const cpuBefore = cpuSeconds(world.system)
  const machineBefore = machineTicks()
  const load = httpLoad({
    url: `${urls.tasks}/api/tasks`,
    method: 'POST',
    headers: { authorization: `Bearer ${await world.tokenOf(world.popugs[0]!)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Sort the seeds by colour', description: 'All of them.' }),
    amount: tasks,
    connections,
  })
  const watching = until('fees applied', count.applied, before.applied + tasks)
  const created = await load
  // From the first request: the load generator's own start-up (a second or so) is not the pipeline's.
  const creationSeconds = (Date.now() - created.startedAtMs) / 1000
  check(created.non2xx === 0 && created.errors === 0, `every task created (${created.non2xx} refused, ${created.errors} errors)`)
  await watching
  await world.system.settled(20 * 60_000)
  const seconds = (Date.now() - created.startedAtMs) / 1000
  const cpu = cpuSpent(cpuBefore, cpuSeconds(world.system))
  const busy = machineBusy(machineBefore, machineTicks())
  check((await count.created()) === before.created + tasks, `${tasks} tasks.created stored`)
  check((await count.priced()) === before.priced + tasks, `${tasks} tasks priced`)
  await checkAgreement(world)
  const events = 4 * tasks
  progress(`pipeline: ${tasks} tasks in ${seconds.toFixed(1)} s (created in ${creationSeconds.toFixed(1)} s), CPU seconds ${JSON.stringify(cpu)}, the machine's cores ${busy === undefined ? '?' : Math.round(busy * 100)} % busy`)
  return [
    {
      figure: `pipeline, ${tasks.toLocaleString('en-US')} tasks → fees seen by analytics`,
      unit: 'events/s',
      value: events / seconds,
      baseline: { name: 'raw publish+consume', value: rawRate },
      target: { kind: 'min_ratio', limit: 0.5 },
      details: { tasks, events, seconds, creation_seconds: creationSeconds, http_p99_ms: created.p99Ms, cpu_seconds: cpu, machine_busy: busy },
    },
    { figure: '  of which task creation (POST /api/tasks)', unit: 'tasks/s', value: tasks / creationSeconds, details: { p99_ms: created.p99Ms } },
  ]
}
