// The audit worker on a real nats-server: it reads the streams as they are published, finds
// nothing wrong in a world that adds up, and shows a difference planted by hand in its API,
// its page and its metrics once the settle time has passed with the audit caught up.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { Envelope } from '../../contracts/envelope.ts'
import { silentLogger } from '../runtime/log.ts'
import { ensureStreams } from '../runtime/nats.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'
import type { Differences } from './queries.ts'
import { KESHA, world } from './testing/world.ts'

describe('the audit worker', () => {
  const dir = tempDir()
  let nats: NatsFixture
  let streams: TestStreams
  let issuer: TestIssuer
  let audit: RunningWorker<unknown>
  let accountant: string
  let env: Record<string, string>
  const start = async () => {
    audit = (await runWorker(definition(undefined, { lookMs: 100 }), env, { log: silentLogger })) as RunningWorker<unknown>
  }
  const publish = async (events: Envelope[]) => {
    for (const e of events) await streams.js.publish(`${e.event_name}.v${e.event_version}`, JSON.stringify(e), { msgID: e.event_id })
  }
  const found = async (token = accountant, query = '') => {
    const response = await fetch(`${audit.url}/api/differences${query}`, { headers: { authorization: `Bearer ${token}` } })
    return { status: response.status, body: (await response.json()) as Differences }
  }
  const metric = async (line: string) => {
    const text = await (await fetch(`${audit.url}/metrics`)).text()
    const match = text.split('\n').find((l) => l.startsWith(`${line} `))
    return match === undefined ? undefined : Number(match.slice(line.length + 1))
  }

  before(async () => {
    nats = await startNats()
    streams = await connectTestStreams(nats.url)
    await ensureStreams(streams.jsm, 1)
    issuer = await startTestIssuer()
    accountant = await issuer.token({ role: 'accountant' })
    env = { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dir.path, ATES_AUDIT_PORT: '0', ATES_AUTH_URL: issuer.url, ATES_AUDIT_SETTLE_SECONDS: '2' }
    await start()
  })

  after(async () => {
    await audit?.stop()
    await issuer.stop()
    await streams.close()
    await nats.stop()
    dir.remove()
  })

  test('a world that adds up: caught up, every event checked, no difference, nothing pending', async () => {
    const w = world()
    await publish([...w.tasks, ...w.billing, ...w.analytics])
    const answer = await waitFor(async () => {
      const { body } = await found()
      return body.caught_up_at !== null && (await metric('ates_audit_checked_events_total')) === 18 && body.pending === 0 ? body : undefined
    }, 'the audit to catch up with the world')
    assert.equal(answer.total, 0)
    assert.deepEqual(answer.differences, [])
    assert.equal(await metric('ates_audit_differences{kind="fee_unexplained"}'), 0)
    assert.equal(await metric('ates_audit_pending_findings'), 0)
  })

  test('a fee for a task never assigned, published by hand: pending first, then a difference in the API, the page and the metric', async () => {
    const task = randomUUID()
    const transaction = randomUUID()
    const eventId = await streams.publish('billing.transaction_applied', {
      transaction_id: transaction,
      account_id: KESHA,
      kind: 'assign_fee',
      debit: 1500,
      credit: 0,
      task_id: task,
      business_day: '2026-11-24',
      balance_after: -3000,
      applied_at: new Date().toISOString(),
    })
    await waitFor(async () => (await found()).body.pending === 1, 'the fee to be found, not yet settled')
    assert.equal((await found()).body.total, 0, 'not a difference before the settle time')
    const answer = await waitFor(async () => {
      const { body } = await found()
      return body.total > 0 ? body : undefined
    }, 'the difference to settle', 10_000)
    assert.deepEqual(answer.counts.fee_unexplained, 1)
    assert.equal(answer.total, 1)
    const [difference] = answer.differences
    assert.equal(difference!.kind, 'fee_unexplained')
    assert.equal(difference!.task_id, task)
    assert.deepEqual(difference!.events, [{ event_id: eventId, event_name: 'billing.transaction_applied' }])
    assert.match(difference!.message, new RegExp(`a fee of \\$15\\.00 on ${KESHA.slice(0, 8)} for task ${task.slice(0, 8)}, which was never assigned`))
    assert.equal(await metric('ates_audit_differences{kind="fee_unexplained"}'), 1)

    const page = await fetch(`${audit.url}/`, { headers: { authorization: `Bearer ${accountant}` } })
    assert.equal(page.status, 200)
    const html = await page.text()
    assert.match(html, /1 difference between what happened and what was charged/)
    assert.ok(html.includes(`task ${task.slice(0, 8)}`) && html.includes(eventId.slice(0, 8)), 'the task and the event on the page')
    assert.equal((await found(accountant, '?kind=fee_missing')).body.differences.length, 0, 'only the kind asked for')
  })

  test('what it found survives a restart', async () => {
    await audit.stop()
    await start()
    const answer = await waitFor(async () => {
      const { body } = await found()
      return body.caught_up_at !== null ? body : undefined
    }, 'the restarted audit to catch up')
    assert.deepEqual(answer.differences.map((d) => d.kind), ['fee_unexplained'])
  })

  test('admins and accountants only; a bad query is refused', async () => {
    for (const role of ['manager', 'popug'] as const) assert.equal((await found(await issuer.token({ role }))).status, 403, role)
    assert.equal((await found(await issuer.token({ role: 'admin' }))).status, 200)
    assert.equal((await found(accountant, '?kind=everything')).status, 422)
    assert.equal((await found(accountant, '?limit=0')).status, 422)
  })
})
