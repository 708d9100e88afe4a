// The broker goes away mid-load: SIGKILLed and started again, then stopped gracefully and
// restarted. A write is refused while the broker is away (503: nothing changed) and accepted
// again once it is back, the outboxes relay what was committed, and the checker finds every
// confirmed task paid for once.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ADMIN, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { type Crew, hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const TASKS = 500
const tally = new Tally('broker')
let system: System
let admin: string
let crew: Crew
const acknowledged = { created: [] as string[], completed: [] as string[] }

before(async () => {
  system = await startSystem()
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  crew = await hireCrew(system.urls, admin, 5, 'broker')
})

after(async () => {
  await system?.stop()
  tally.finish()
})

const crewLoad = (seed: number) => new Load(system.urls, crew, { tasks: TASKS, clients: 4, seed, reassignEvery: 120, completeShare: 0.95 })

describe('the broker goes away', () => {
  test(`nats-server SIGKILLed during a load of ${TASKS} tasks, a close refused while it is down, then started again`, async (t) => {
    let refused: { status: number; body: unknown } | undefined
    let closed: { status: number } | undefined
    const load = await crewLoad(SEED).runThrough(TASKS / 3, async () => {
      await system.nats.kill()
      // A write is answered as done only once its event is stored: with the broker away the
      // close is refused (503, nothing changed) and asked for again once the broker is back.
      refused = await api(`${system.urls.close}/api/closes`, admin, { body: {} })
      await new Promise((resolve) => setTimeout(resolve, 1500))
      await system.nats.start()
      closed = await persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))
    }, acknowledged)
    assert.equal(refused?.status, 503, JSON.stringify(refused?.body))
    assert.equal(closed?.status, 202)
    const report = await checkSystem(system, admin, acknowledged)
    tally.scenario(report)
    t.diagnostic(`${load.retries} retried calls; ${describeReport(report)}`)
    assert.deepEqual(report.differences, [])
    assert.ok(report.counts.closedDays >= 1, 'the day closed once the broker was back')
  })

  test(`nats-server stopped gracefully and restarted during a load of ${TASKS} tasks`, async (t) => {
    const load = await crewLoad(SEED + 1).runThrough(TASKS / 2, () => system.nats.restart(), acknowledged)
    const report = await checkSystem(system, admin, acknowledged)
    tally.scenario(report)
    t.diagnostic(`${load.retries} retried calls; ${describeReport(report)}`)
    assert.deepEqual(report.differences, [])
    assert.ok(report.counts.tasks >= 2 * TASKS)
  })
})
