// Copies of events the streams no longer recognise: after the inboxes forgot the originals
// (pruned by age), and after a broker outage longer than the streams' duplicate window. Every
// handler is idempotent by the ids of what it records, so a copy changes nothing.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { nanos } from '@nats-io/nats-core'
import type { Envelope } from '../../contracts/envelope.ts'
import { sleep } from '../../workers/runtime/testing/helpers.ts'
import { connectTestStreams } from '../../workers/runtime/testing/streams.ts'
import { ADMIN, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { type Crew, hireCrew, Load } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const TASKS = 300
const tally = new Tally('copies')
let system: System
let admin: string
let crew: Crew
const acknowledged = { created: [] as string[], completed: [] as string[] }

before(async () => {
  // Every handled event is forgotten after a second: what catches a copy is the handlers themselves.
  system = await startSystem({ env: { ATES_INBOX_KEEP: '1s' } })
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  crew = await hireCrew(system.urls, admin, 5, 'copies')
})

after(async () => {
  await system?.stop()
  tally.finish()
})

const crewLoad = (seed: number) => new Load(system.urls, crew, { tasks: TASKS, clients: 3, seed, reassignEvery: 100, completeShare: 0.9 })

const inboxSize = (worker: string) => {
  const db = new Database(join(system.dataDir, `${worker}.sqlite`), { readonly: true })
  try {
    return db.prepare('SELECT count(*) FROM inbox').pluck().get() as number
  } finally {
    db.close()
  }
}

describe('copies the streams no longer recognise', () => {
  test('copies of handled events, published again after the inboxes forgot them, change nothing', async (t) => {
    const load = await crewLoad(SEED + 30).runThrough(TASKS, async () => undefined, acknowledged)
    await system.settled()
    // A start prunes what is older than ATES_INBOX_KEEP.
    await sleep(1500)
    for (const worker of ['billing', 'analytics'] as const) {
      await system.stopWorker(worker)
      await system.start(worker)
    }
    await system.settled()
    const remembered = { billing: inboxSize('billing'), analytics: inboxSize('analytics') }
    const streams = await connectTestStreams(system.nats.url)
    let copies = 0
    try {
      const again = async (stream: 'TASKS' | 'BILLING', filter: string) => {
        const events = (await streams.events(stream, filter)).slice(0, 50)
        for (const event of events) {
          // A new message id: the stream keeps the copy, as after a publish lost its ack and came back late.
          await streams.js.publish(`${event.event_name}.v${event.event_version}`, JSON.stringify(event satisfies Envelope), { msgID: `copy-${event.event_id}` })
          copies += 1
        }
      }
      await again('TASKS', 'tasks.assigned.>')
      await again('TASKS', 'tasks.completed.>')
      await again('BILLING', 'billing.transaction_applied.>')
    } finally {
      await streams.close()
    }
    const report = await checkSystem(system, admin, acknowledged)
    tally.scenario(report)
    t.diagnostic(`inboxes after pruning: ${JSON.stringify(remembered)}; ${copies} copies; ${describeReport(report)}`)
    assert.ok(remembered.billing < load.created.length, 'billing forgot what it had handled')
    assert.ok(remembered.analytics < load.created.length, 'analytics forgot what it had handled')
    assert.deepEqual(report.differences, [])
  })

  test('the broker down for longer than the duplicate window mid-load: what is published again once it is back changes nothing', async (t) => {
    const streams = await connectTestStreams(system.nats.url)
    try {
      for (const name of ['ACCOUNTS', 'TASKS', 'BILLING'] as const) {
        const info = await streams.jsm.streams.info(name)
        await streams.jsm.streams.update(name, { ...info.config, duplicate_window: nanos(1000) })
      }
    } finally {
      await streams.close()
    }
    const load = await crewLoad(SEED + 31).runThrough(TASKS / 3, async () => {
      await system.nats.kill()
      await sleep(4000)
      await system.nats.start()
    }, acknowledged)
    const report = await checkSystem(system, admin, acknowledged)
    tally.scenario(report)
    t.diagnostic(`${load.retries} retried calls; ${describeReport(report)}`)
    assert.deepEqual(report.differences, [])
  })
})
