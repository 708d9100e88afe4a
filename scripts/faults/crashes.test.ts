// Workers SIGKILLed at seeded random points of a load with reshuffles, completions and a day
// close: nothing HTTP confirmed is lost, and no money is lost or doubled (SPEC §5).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectNats, manager } from '../../workers/runtime/nats.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'
import { ADMIN, allPages, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { crashDuring, crashPlan } from './chaos.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const TASKS = 1500
const tally = new Tally('crashes')
let system: System
let admin: string
let nc: NatsConnection

before(async () => {
  system = await startSystem()
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  nc = await connectNats({ servers: [system.nats.url], name: 'faults-operator' })
})

after(async () => {
  await nc?.close()
  await system?.stop()
  tally.finish()
})

describe('crashes during a load', () => {
  test(`billing, tasks, analytics and close SIGKILLed at random points of ${TASKS} tasks, with a day closed mid-load (seed ${SEED})`, async (t) => {
    const crew = await hireCrew(system.urls, admin, 6, 'crash')
    const load = new Load(system.urls, crew, { tasks: TASKS, clients: 4, seed: SEED, reassignEvery: 200, completeShare: 0.95 })
    let failure: unknown
    const loading = load.run().catch((error: unknown) => {
      failure = error
    })
    const progress = () => {
      if (failure) throw failure
      return load.progress
    }
    // Half-way an admin closes the day and billing is killed right after, while it pays out.
    let closed: { status: number; body: unknown } | undefined
    const requestClose = async () => {
      closed = await persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))
    }
    const plan = [
      ...crashPlan(SEED, ['billing', 'tasks', 'analytics', 'close'], 8, TASKS),
      { worker: 'billing' as const, atTask: TASKS / 2, downMs: 300, before: requestClose },
    ].sort((a, b) => a.atTask - b.atTask)
    const crashes = await crashDuring(system, plan, progress)
    await loading
    if (failure) throw failure
    assert.equal(closed?.status, 202, JSON.stringify(closed?.body))
    t.diagnostic(`crashes: ${crashes.map((c) => `${c.worker}@${c.atTask}`).join(', ')}; ${load.reassigns} reshuffles, ${load.completed.length} completions, ${load.retries} retried calls`)

    const report = await checkSystem(system, admin, load.acknowledged)
    tally.scenario(report)
    t.diagnostic(describeReport(report))
    assert.deepEqual(report.differences, [])
    assert.ok(report.counts.tasks >= TASKS, 'every task made it')
    assert.ok(report.counts.closedDays >= 1, 'the day closed during the load')
  })

  test('analytics SIGKILLed with ledger events it had received but not handled: they come back after newer ones', async (t) => {
    // Only two fresh popugs take tasks from here on, so their balances are known to start at zero.
    const earlier = await allPages<{ account_id: string; role: string }>(`${system.urls.auth}/api/accounts`, admin, 'accounts')
    for (const account of earlier.items.filter((a) => a.role === 'popug')) {
      assert.equal((await api(`${system.urls.auth}/api/accounts/${account.account_id}`, admin, { method: 'PATCH', body: { active: false } })).status, 200)
    }
    const fresh = await hireCrew(system.urls, admin, 2, 'late')
    await system.settled()
    const jsm = await manager(nc)
    const unacked = async () => (await jsm.consumers.info('BILLING', 'analytics-billing')).num_ack_pending
    // The fees of this first batch reach a frozen analytics, which dies before handling them.
    let frozenWithEvents = false
    for (let attempt = 1; !frozenWithEvents && attempt <= 3; attempt++) {
      system.freeze('analytics')
      const first = new Load(system.urls, fresh, { tasks: 8, clients: 2, seed: SEED + attempt, reassignEvery: 1000, completeShare: 0 })
      await first.run()
      frozenWithEvents = await waitFor(async () => (await unacked()) > 0, 'events delivered to the frozen analytics', 8_000).then(() => true, () => false)
      if (!frozenWithEvents) {
        system.thaw('analytics')
        await system.settled()
      }
    }
    assert.ok(frozenWithEvents, 'the frozen analytics had events in hand')
    await system.kill('analytics')
    // Newer events: every popug completes everything it has, so every fresh balance ends above zero.
    for (const popug of fresh.popugs) {
      const open = await api<{ tasks: Array<{ task_id: string }> }>(`${system.urls.tasks}/api/tasks?assignee=me&status=open&limit=200`, popug.token)
      for (const task of open.body.tasks) assert.equal((await api(`${system.urls.tasks}/api/tasks/${task.task_id}/complete`, popug.token, { body: {} })).status, 200)
    }
    await system.start('analytics')
    const report = await checkSystem(system, admin)
    tally.scenario(report)
    t.diagnostic(describeReport(report))
    assert.deepEqual(report.differences, [])
  })
})
