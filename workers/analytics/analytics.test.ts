// analytics next to the real billing worker: its figures equal billing's, per day; v1 and v2
// task events give the same titles; a rebuild from the streams gives identical answers.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { makeEnvelope } from '../../contracts/envelope.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { definition as billingDefinition } from '../billing/main.ts'
import { silentLogger } from '../runtime/log.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, producerOf, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'

describe('analytics with billing', () => {
  const dir = tempDir()
  let nats: NatsFixture
  let streams: TestStreams
  let issuer: TestIssuer
  let billing: RunningWorker<unknown>
  let analytics: RunningWorker<unknown>
  let admin: string
  let time = Date.parse('2026-11-23T09:00:00Z')
  const clock = { now: () => new Date(time), newId: randomUUID }
  let env: Record<string, string>
  const startAnalytics = async () => {
    analytics = (await runWorker(definition(clock), env, { log: silentLogger })) as RunningWorker<unknown>
  }
  const publish = async <N extends EventName>(name: N, data: EventData<N>, version?: number) => {
    if (version === 1) {
      const { envelope } = makeEnvelope({ name, data, eventId: randomUUID(), time: new Date(time), producer: producerOf(name) })
      const { jira_id: _jira, ...v1 } = data as EventData<'tasks.created'>
      const old = { ...envelope, event_version: 1, data: { ...v1, title: `[UBERPOP-9] ${v1.title}` } }
      await streams.js.publish('tasks.created.v1', JSON.stringify(old), { msgID: old.event_id })
      return
    }
    await streams.publish(name, data, { time: new Date(time) })
  }
  const get = async (base: string, path: string, token = admin) => {
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  const settled = () =>
    waitFor(async () => (await fetch(`${billing.url}/readyz?max_lag=0`)).ok && (await fetch(`${analytics.url}/readyz?max_lag=0`)).ok, 'caught up', 20_000)

  const people = [randomUUID(), randomUUID(), randomUUID()]
  async function dayOfWork(tasks: number) {
    for (let i = 0; i < tasks; i++) {
      const task = randomUUID()
      const who = people[i % people.length]!
      await publish('tasks.created', { task_id: task, title: `Chore ${i}`, jira_id: i % 2 ? 'UBERPOP-9' : null, description: '', assignee_id: who, created_at: new Date(time).toISOString() }, i % 2 ? 1 : 2)
      await publish('tasks.assigned', { task_id: task, assignee_id: who, previous_assignee_id: null, assigned_at: new Date(time).toISOString() })
      if (i % 3 !== 2) await publish('tasks.completed', { task_id: task, assignee_id: people[(i + 1) % people.length]!, completed_at: new Date(time).toISOString() })
    }
  }

  before(async () => {
    nats = await startNats()
    streams = await connectTestStreams(nats.url)
    issuer = await startTestIssuer()
    admin = await issuer.token({ role: 'admin' })
    env = { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dir.path, ATES_BILLING_PORT: '0', ATES_ANALYTICS_PORT: '0', ATES_AUTH_URL: issuer.url }
    billing = (await runWorker(billingDefinition(clock), env, { log: silentLogger })) as RunningWorker<unknown>
    await startAnalytics()
    for (const [i, id] of people.entries()) await publish('accounts.created', { account_id: id, name: `p${i}`, email: `p${i}@ates.test`, role: 'popug', active: true })
  })

  after(async () => {
    await analytics.stop()
    await billing.stop()
    await issuer.stop()
    await streams.close()
    await nats.stop()
    dir.remove()
  })

  test("for every day, analytics' earnings and negative counts equal billing's", async () => {
    await dayOfWork(12)
    await publish('billing.day_close_requested', { business_day: '2026-11-23' })
    time = Date.parse('2026-11-24T09:00:00Z')
    await dayOfWork(7)
    await settled()
    const billingDays = (await get(billing.url, '/api/management/earnings?from=2026-11-23&to=2026-11-24')).body.days as Array<{ business_day: string; management_earnings: number }>
    const analyticsDays = (await get(analytics.url, '/api/analytics/days?from=2026-11-23&to=2026-11-24')).body.days as Array<{ business_day: string; management_earnings: number; accounts_negative: number | null }>
    assert.deepEqual(analyticsDays.map((d) => [d.business_day, d.management_earnings]), billingDays.map((d) => [d.business_day, d.management_earnings]))
    const billingAccounts = (await get(billing.url, '/api/accounts')).body.accounts as Array<{ balance: number }>
    const now = (await get(analytics.url, '/api/analytics/today')).body
    assert.equal(now.business_day, '2026-11-24')
    assert.equal(now.accounts_negative, billingAccounts.filter((a) => a.balance < 0).length)
    assert.equal(now.management_earnings, billingDays[1]!.management_earnings)
    assert.equal(typeof analyticsDays[0]!.accounts_negative, 'number', 'known at close')
    assert.equal(analyticsDays[1]!.accounts_negative, null, 'not closed yet')
    // What analytics shows for the closed day, it publishes too: the audit reads it from the stream.
    const published = () => streams.events('ANALYTICS', 'analytics.day_figures.>')
    await waitFor(async () => (await published()).length > 0, 'the figures of the closed day on ANALYTICS', 10_000)
    assert.deepEqual((await published()).map((e) => e.data), [{ business_day: '2026-11-23', management_earnings: billingDays[0]!.management_earnings, accounts_negative: analyticsDays[0]!.accounts_negative }])
  })

  test('most expensive task per period, with its title and jira id from v1 and v2 events; null when none', async () => {
    const day = (await get(analytics.url, '/api/analytics/most-expensive?period=day&date=2026-11-23')).body as { task: { title: string; jira_id: string | null; reward: number } }
    const week = (await get(analytics.url, '/api/analytics/most-expensive?period=week&date=2026-11-24')).body as { from: string; task: { reward: number } }
    assert.match(day.task.title, /^Chore \d+$/, 'no jira id left in a v1 title')
    assert.equal(day.task.jira_id === null || day.task.jira_id === 'UBERPOP-9', true)
    assert.equal(week.from, '2026-11-23')
    assert.ok(week.task.reward >= day.task.reward)
    const empty = (await get(analytics.url, '/api/analytics/most-expensive?period=month&date=2026-10-05')).body
    assert.equal(empty.task, null)
  })

  test('admins only', async () => {
    for (const role of ['accountant', 'manager', 'popug'] as const) {
      assert.equal((await get(analytics.url, '/api/analytics/today', await issuer.token({ role }))).status, 403, role)
    }
    assert.equal((await get(analytics.url, '/api/analytics/most-expensive?period=year')).status, 422)
  })

  test('dropping the database and replaying the streams gives identical answers', async () => {
    const paths = ['/api/analytics/today', '/api/analytics/days?from=2026-11-22&to=2026-11-24', '/api/analytics/most-expensive?period=week&date=2026-11-24']
    const before = await Promise.all(paths.map(async (p) => (await get(analytics.url, p)).body))
    await analytics.stop()
    rmSync(join(dir.path, 'analytics.sqlite'))
    await streams.deleteDurables('analytics')
    await startAnalytics()
    await settled()
    const after = await Promise.all(paths.map(async (p) => (await get(analytics.url, p)).body))
    assert.deepEqual(after, before)
  })
})
