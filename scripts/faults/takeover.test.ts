// Availability (SPEC §5): on the three-node cluster, every worker runs as two instances with
// their own databases, behind load balancers. Under an HTTP load (tasks created, completed,
// reshuffled, a day closed) the active instance of each worker is SIGKILLed in turn, a NATS node
// is SIGKILLed, the active billing is frozen (SIGSTOP) for twice the lease's TTL and resumed,
// and an active instance is stopped gracefully. Each takeover is timed; afterwards the checker
// finds every task paid for once.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { WorkerName } from '../../workers/runtime/config.ts'
import { sleep, waitFor } from '../../workers/runtime/testing/helpers.ts'
import { ADMIN, api, login } from '../../workers/runtime/testing/system.ts'
import { startCluster, type TestCluster } from '../testing/cluster.ts'
import { type Instance, type Instances, startInstances } from '../testing/instances.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { type Crew, hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const TTL_SECONDS = 6
const TASKS = 400
// Paced, the load lasts through every takeover (about 80 s); unpaced it was over before billing's.
const TASKS_PER_SECOND = 5
const tally = new Tally('takeover')
const LEASED: WorkerName[] = ['auth', 'tasks', 'billing', 'close']
let cluster: TestCluster
let system: Instances
let admin: string
let crew: Crew
const times: string[] = []

before(async () => {
  cluster = await startCluster()
  const users = Object.fromEntries((['auth', 'tasks', 'billing', 'close', 'analytics', 'audit'] as const).map((w) => [w, { user: w, pass: cluster.passwords[w] }])) as Parameters<typeof startInstances>[0]['users']
  system = await startInstances({ servers: cluster.urls, users, replicas: 3, env: { ATES_LEASE_TTL: `${TTL_SECONDS}s`, ATES_AUDIT_SETTLE_SECONDS: '3' } })
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  crew = await hireCrew(system.urls, admin, 5, 'takeover')
})

after(async () => {
  await system?.stop()
  await cluster?.stop()
  tally.finish()
})

const other = (instance: Instance): Instance => (instance === 'a' ? 'b' : 'a')

/** Waits until `instance` of `worker` is the active one; returns the seconds since `from`. */
async function takenOverBy(worker: WorkerName, instance: Instance, from: number, timeoutMs = 60_000): Promise<number> {
  await waitFor(
    async () => {
      const ready = await fetch(`${system.instanceUrl(worker, instance)}/readyz`).then(
        async (r) => ((await r.json()) as { status: string }).status,
        () => 'down',
      )
      return ready !== 'standby' && ready !== 'down'
    },
    `${worker} ${instance} to take over`,
    timeoutMs,
  )
  return (Date.now() - from) / 1000
}

describe('two instances of every worker on the cluster', () => {
  test(`under a load of ${TASKS} tasks: every active instance SIGKILLed in turn, a NATS node killed, billing frozen for twice the TTL, a graceful stop`, async (t) => {
    const load = new Load(system.urls, crew, { tasks: TASKS, clients: 3, seed: SEED + 40, reassignEvery: 100, completeShare: 0.9, perSecond: TASKS_PER_SECOND })
    let failure: unknown
    const loading = load.run().catch((error: unknown) => {
      failure = error
    })
    const progress = async (at: number) =>
      waitFor(() => {
        if (failure) throw failure
        return load.progress >= at
      }, `${at} tasks`, 180_000)

    let step = 0
    for (const worker of LEASED) {
      await progress((TASKS / 8) * ++step)
      const active = (await system.active(worker))!
      assert.ok(active, `${worker} has an active instance`)
      const killed = Date.now()
      await system.killInstance(worker, active)
      const seconds = await takenOverBy(worker, other(active), killed)
      times.push(`${worker}: ${seconds.toFixed(1)} s after SIGKILL`)
      assert.ok(seconds < 15, `${worker} took over in ${seconds} s`)
      await system.startInstance(worker, active) // back as the standby
    }

    await progress((TASKS / 8) * ++step)
    const closed = await persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))
    assert.equal(closed.status, 202, JSON.stringify(closed.body))

    // A NATS node.
    await cluster.node(2).kill()
    await progress((TASKS / 8) * ++step)
    await cluster.node(2).start()

    // The active billing frozen past its lease: the standby takes over, and the frozen one,
    // once resumed, finds itself a standby and does nothing more.
    const frozen = (await system.active('billing'))!
    const froze = Date.now()
    system.freezeInstance('billing', frozen)
    const seconds = await takenOverBy('billing', other(frozen), froze)
    times.push(`billing: ${seconds.toFixed(1)} s after SIGSTOP`)
    await sleep(Math.max(0, 2 * TTL_SECONDS * 1000 - (Date.now() - froze)))
    system.thawInstance('billing', frozen)
    await waitFor(
      async () => ((await (await fetch(`${system.instanceUrl('billing', frozen)}/readyz`)).json()) as { status: string }).status === 'standby',
      'the resumed billing to be a standby',
      15_000,
    )

    // A graceful stop hands over at once.
    await progress((TASKS / 8) * ++step)
    const leaving = (await system.active('tasks'))!
    const stopped = Date.now()
    await system.stopInstance('tasks', leaving)
    const handed = await takenOverBy('tasks', other(leaving), stopped)
    times.push(`tasks: ${handed.toFixed(1)} s after a graceful stop`)
    assert.ok(handed < 2, `tasks took over in ${handed} s after a graceful stop`)
    await system.startInstance('tasks', leaving)

    await loading
    if (failure) throw failure
    const report = await checkSystem(system, admin, load.acknowledged, { user: 'ops', pass: cluster.passwords.ops })
    tally.scenario(report)
    t.diagnostic(`takeovers: ${times.join('; ')}`)
    t.diagnostic(`${load.retries} retried calls; ${describeReport(report)}`)
    assert.deepEqual(report.differences, [])
  })
})
