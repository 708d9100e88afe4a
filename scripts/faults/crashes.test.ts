// Workers SIGKILLed at seeded random points of a load with reshuffles, completions and a day
// close: nothing HTTP confirmed is lost, and no money is lost or doubled (SPEC §5).
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'
import { ADMIN, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { crashDuring, crashPlan } from './chaos.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const TASKS = 1200
const tally = new Tally()
let system: System
let admin: string

before(async () => {
  system = await startSystem()
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
})

after(async () => {
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
    const plan = crashPlan(SEED, ['billing', 'tasks', 'analytics', 'close'], 8, TASKS)
    const closing = (async () => {
      await waitFor(() => progress() >= TASKS / 2, 'half of the load', 240_000)
      return persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))
    })()
    const crashes = await crashDuring(system, plan, progress)
    const closed = await closing
    await loading
    if (failure) throw failure
    assert.equal(closed.status, 202, JSON.stringify(closed.body))
    t.diagnostic(`crashes: ${crashes.map((c) => `${c.worker}@${c.atTask}`).join(', ')}; ${load.reassigns} reshuffles, ${load.completed.length} completions, ${load.retries} retried calls`)

    const report = await checkSystem(system, admin, load.acknowledged)
    tally.scenario(report)
    t.diagnostic(describeReport(report))
    assert.deepEqual(report.differences, [])
    assert.ok(report.counts.tasks >= TASKS, 'every task made it')
    assert.equal(report.counts.closedDays, 1, 'the day closed during the load')
  })
})
