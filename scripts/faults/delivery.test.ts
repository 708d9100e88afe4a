// At-least-once delivery, exactly-once effect (SPEC §5): events published twice, acks that
// come too late, and messages no consumer can read. Each scenario ends with the checker.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import type { NatsConnection } from '@nats-io/transport-node'
import { connectNats, manager } from '../../workers/runtime/nats.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'
import { readStream } from '../../workers/runtime/testing/streams.ts'
import { ADMIN, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { listDeadLetters } from '../lib/dlq.ts'
import { checkSystem, describeReport } from './evidence.ts'
import type { Report } from './invariants.ts'
import { type Crew, hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const tally = new Tally('delivery')
let system: System
let admin: string
let crew: Crew
let nc: NatsConnection
let js: JetStreamClient
let jsm: JetStreamManager
const acknowledged = { created: [] as string[], completed: [] as string[] }

async function work(tasks: number, seed: number): Promise<void> {
  const load = new Load(system.urls, crew, { tasks, clients: 3, seed, reassignEvery: 100, completeShare: 0.9 })
  await load.run()
  acknowledged.created.push(...load.created)
  acknowledged.completed.push(...load.completed)
}

/** How many events a worker's consumer recognised as already handled, from its /metrics. */
async function duplicatesSeen(url: string, consumer: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`ates_consumer_events_total{consumer="${consumer}",outcome="duplicate"}`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

async function verified(t: { diagnostic(message: string): void }): Promise<Report> {
  const report = await checkSystem(system, admin, acknowledged)
  tally.scenario(report)
  t.diagnostic(describeReport(report))
  assert.deepEqual(report.differences, [])
  return report
}

before(async () => {
  system = await startSystem()
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  nc = await connectNats({ servers: [system.nats.url], name: 'faults-delivery' })
  js = jetstream(nc)
  jsm = await manager(nc)
  crew = await hireCrew(system.urls, admin, 4, 'delivery')
  await work(300, SEED)
})

after(async () => {
  await nc?.close()
  await system?.stop()
  tally.finish()
})

describe('delivery faults', () => {
  test('events published again with the same event_id: the stream drops a repeated msg id, every inbox a new one', async (t) => {
    const closed = await persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))
    assert.equal(closed.status, 202)
    await system.settled()
    const before = await checkSystem(system, admin, acknowledged)
    const tasks = await readStream(js, jsm, 'TASKS')
    const billing = await readStream(js, jsm, 'BILLING')
    const again = [
      ...tasks.filter((m) => m.subject.startsWith('tasks.assigned')).slice(0, 40),
      ...tasks.filter((m) => m.subject.startsWith('tasks.completed')).slice(0, 20),
      ...billing.filter((m) => m.subject.startsWith('billing.transaction_applied')).slice(0, 40),
      ...billing.filter((m) => m.subject.startsWith('billing.day_close_requested') || m.subject.startsWith('billing.payout_made')),
    ]
    let dropped = 0
    for (const m of again) {
      const eventId = (JSON.parse(m.data) as { event_id: string }).event_id
      if ((await js.publish(m.subject, m.data, { msgID: eventId })).duplicate) dropped += 1
      assert.equal((await js.publish(m.subject, m.data, { msgID: `again-${eventId}` })).duplicate, false)
    }
    assert.equal(dropped, again.length, 'the stream recognises a repeated Nats-Msg-Id')
    await system.settled()
    assert.ok((await duplicatesSeen(system.urls.billing, 'billing-tasks')) >= 60, 'billing saw the task events again')
    assert.ok((await duplicatesSeen(system.urls.analytics, 'analytics-billing')) >= 40, 'analytics saw the ledger events again')
    const report = await verified(t)
    assert.deepEqual(report.counts, before.counts, 'nothing changed')
    assert.equal(report.counts.closedDays, 1, 'the repeated close request closed nothing more')
  })

  test('a frozen billing whose acks come too late gets the events again and applies them once', async (t) => {
    // The operator shortens the ack wait so the server redelivers within a second.
    await jsm.consumers.update('TASKS', 'billing-tasks', { ack_wait: nanos(1000) })
    try {
      const seenBefore = await duplicatesSeen(system.urls.billing, 'billing-tasks')
      let attempt = 0
      // A freeze lands while the consumer has a pull outstanding almost always; if not, again.
      for (;;) {
        attempt += 1
        const redeliveredBefore = (await jsm.consumers.info('TASKS', 'billing-tasks')).num_redelivered
        system.freeze('billing')
        let redelivered = false
        try {
          await work(20, SEED + attempt)
          redelivered = await waitFor(async () => (await jsm.consumers.info('TASKS', 'billing-tasks')).num_redelivered > redeliveredBefore, 'a redelivery', 8_000)
            .then(() => true)
            .catch(() => false)
        } finally {
          system.thaw('billing')
        }
        await system.settled()
        if (redelivered || attempt === 3) break
      }
      const seenAfter = await duplicatesSeen(system.urls.billing, 'billing-tasks')
      t.diagnostic(`${attempt} freeze(s); billing recognised ${seenAfter - seenBefore} redelivered events`)
      assert.ok(seenAfter > seenBefore, 'billing received events it had already applied')
    } finally {
      await jsm.consumers.update('TASKS', 'billing-tasks', { ack_wait: nanos(30_000) })
    }
    await verified(t)
  })

  test('a malformed message and an unknown event version on task subjects go to the DLQ with a reason; later events still flow', async (t) => {
    const unknownId = crypto.randomUUID()
    const future = { event_id: unknownId, event_name: 'tasks.created', event_version: 3, event_time: new Date().toISOString(), producer: 'tasks', data: { task_id: crypto.randomUUID(), title: 'from the future' } }
    await js.publish('tasks.assigned.v1', '{"event_id": "not even json', { msgID: 'malformed-1' })
    await js.publish('tasks.created.v3', JSON.stringify(future), { msgID: unknownId })
    await work(30, SEED + 10)
    await system.settled()
    const letters = await listDeadLetters(js, jsm)
    // Each consumer dead-letters what it reads: billing reads every tasks.* event, analytics only tasks.created.
    for (const worker of ['billing', 'analytics']) {
      const mine = letters.filter((l) => l.worker === worker)
      const readsAssigned = worker === 'billing'
      assert.equal(mine.some((l) => l.subject === 'tasks.assigned.v1' && /invalid JSON/.test(l.reason)), readsAssigned, `${worker}: ${JSON.stringify(mine)}`)
      assert.ok(mine.some((l) => l.subject === 'tasks.created.v3' && l.eventId === unknownId && /unknown version tasks.created v3/.test(l.reason)), `${worker}: ${JSON.stringify(mine)}`)
    }
    t.diagnostic(`${letters.length} dead letters: ${letters.map((l) => `${l.worker} ${l.subject} (${l.reason.slice(0, 40)})`).join('; ')}`)
    await verified(t)
  })
})
