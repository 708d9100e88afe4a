// close with the real billing worker, a real nats-server and a real SMTP server on loopback.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { SMTPServer } from 'smtp-server'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { definition as billingDefinition } from '../billing/main.ts'
import { silentLogger } from '../runtime/log.ts'
import { tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { freePort, type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { dayToClose, nextFiring, shouldRequest } from './domain.ts'
import { definition } from './main.ts'

describe('the schedule', () => {
  test('fires at the configured time in the configured zone', () => {
    assert.equal(nextFiring('0 0 * * *', 'UTC', new Date('2026-11-23T12:00:00Z'))?.toISOString(), '2026-11-24T00:00:00.000Z')
    assert.equal(nextFiring('0 0 * * *', 'Europe/Berlin', new Date('2026-11-23T12:00:00Z'))?.toISOString(), '2026-11-23T23:00:00.000Z')
    assert.equal(nextFiring('30 18 * * *', 'America/New_York', new Date('2026-11-23T12:00:00Z'))?.toISOString(), '2026-11-23T23:30:00.000Z')
  })
  test('the next day to close follows the last closed day; ended days are caught up, today only by schedule or admin', () => {
    assert.equal(dayToClose(undefined, '2026-11-20'), '2026-11-20')
    assert.equal(dayToClose('2026-11-21', '2026-11-20'), '2026-11-22')
    assert.equal(shouldRequest('2026-11-22', '2026-11-23', 'catch_up'), true)
    assert.equal(shouldRequest('2026-11-23', '2026-11-23', 'catch_up'), false)
    assert.equal(shouldRequest('2026-11-23', '2026-11-23', 'schedule'), true)
    assert.equal(shouldRequest('2026-11-24', '2026-11-23', 'manual'), false)
  })
})

describe('close with billing', () => {
  const dir = tempDir()
  let nats: NatsFixture
  let streams: TestStreams
  let issuer: TestIssuer
  let smtp: SMTPServer
  const mails: string[] = []
  let time = Date.parse('2026-11-20T10:00:00Z')
  const clock = { now: () => new Date(time), newId: randomUUID }
  let billing: RunningWorker<unknown>
  let close: RunningWorker<unknown> | undefined
  let env: Record<string, string>

  const startClose = async () => {
    close = (await runWorker(definition(clock), env, { log: silentLogger, consumer: { backoffMs: () => 30 } })) as RunningWorker<unknown>
  }
  const publish = <N extends EventName>(name: N, data: EventData<N>) => streams.publish(name, data, { time: new Date(time) })
  const events = async (prefix: string) => {
    const all = await streams.events('BILLING')
    return all.filter((e) => e.event_name.startsWith(prefix)).map((e) => e.data as unknown as { business_day: string; accounts_paid: number; total_paid: number })
  }
  const pip = randomUUID()

  before(async () => {
    nats = await startNats()
    streams = await connectTestStreams(nats.url)
    issuer = await startTestIssuer()
    const smtpPort = await freePort()
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        let text = ''
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()))
        stream.on('end', () => {
          mails.push(text)
          callback()
        })
      },
    })
    await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve))
    env = {
      ATES_NATS_URL: nats.url,
      ATES_DATA_DIR: dir.path,
      ATES_BILLING_PORT: '0',
      ATES_CLOSE_PORT: '0',
      ATES_AUTH_URL: issuer.url,
      ATES_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    }
    billing = (await runWorker(billingDefinition(clock), env, { log: silentLogger, consumer: { backoffMs: () => 30 } })) as RunningWorker<unknown>
  })

  after(async () => {
    await close?.stop()
    await billing.stop()
    await new Promise<void>((resolve) => smtp.close(() => resolve()))
    await issuer.stop()
    await streams.close()
    await nats.stop()
    dir.remove()
  })

  test('after three days down, the missed days are requested in order and each closed once; payouts are mailed once', async () => {
    await publish('accounts.created', { account_id: pip, name: 'Pip', email: 'pip@ates.test', role: 'popug', active: true })
    const task = randomUUID()
    await publish('tasks.assigned', { task_id: task, assignee_id: pip, previous_assignee_id: null, assigned_at: new Date(time).toISOString() })
    await publish('tasks.completed', { task_id: task, assignee_id: pip, completed_at: new Date(time).toISOString() })
    await startClose()
    await waitFor(async () => (await fetch(`${billing.url}/readyz?max_lag=0`)).ok && (await fetch(`${close!.url}/readyz?max_lag=0`)).ok, 'caught up')
    assert.equal((await events('billing.day_close_requested')).length, 0, 'nothing has ended yet')
    await close!.stop()

    time = Date.parse('2026-11-23T10:00:00Z') // three days later
    await startClose()
    await waitFor(async () => (await events('billing.day_closed')).length === 3, 'three closes', 20_000)
    const requested = (await events('billing.day_close_requested')).map((d) => d.business_day)
    assert.deepEqual(requested, ['2026-11-20', '2026-11-21', '2026-11-22'])
    const closed = await events('billing.day_closed')
    assert.deepEqual(closed.map((d) => d.business_day), ['2026-11-20', '2026-11-21', '2026-11-22'])
    assert.equal(closed[0]!.accounts_paid, 1)
    const paid = closed[0]!.total_paid
    assert.ok(paid > 0)

    await waitFor(() => mails.length >= 1, 'the payout mail', 10_000)
    assert.equal(mails.length, 1)
    assert.match(mails[0]!, /To: pip@ates\.test/)
    assert.match(mails[0]!, /2026-11-20/)
    assert.match(mails[0]!, new RegExp(`\\$${Math.floor(paid / 100)}\\.${String(paid % 100).padStart(2, '0')}`))

    // Redelivery of every payout_made: no second mail.
    await close!.stop()
    await streams.jsm.consumers.delete('BILLING', 'close-billing-payout_made')
    await startClose()
    await waitFor(async () => (await fetch(`${close!.url}/readyz?max_lag=0`)).ok, 'close caught up')
    await new Promise((r) => setTimeout(r, 1500))
    assert.equal(mails.length, 1, 'mailed once')
  })

  test('an admin closes the current day now; a repeat is refused; others get 403', async () => {
    const admin = await issuer.token({ role: 'admin' })
    const popug = await issuer.token({ role: 'popug' })
    const post = (token: string) => fetch(`${close!.url}/api/closes`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    assert.equal((await post(popug)).status, 403)
    const response = await post(admin)
    assert.equal(response.status, 202)
    assert.deepEqual(await response.json(), { business_day: '2026-11-23' })
    await waitFor(async () => (await events('billing.day_closed')).length === 4, 'the manual close')
    await waitFor(async () => (await post(admin)).status === 409, 'today closed')
    const history = (await (await fetch(`${close!.url}/api/closes`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { closes: Array<{ business_day: string; closed_at: string | null }> }
    assert.deepEqual(history.closes.map((c) => [c.business_day, c.closed_at !== null]), [
      ['2026-11-23', true],
      ['2026-11-22', true],
      ['2026-11-21', true],
      ['2026-11-20', true],
    ])
  })
})
