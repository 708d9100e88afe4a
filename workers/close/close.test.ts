// close with the real billing worker, a real nats-server and a real SMTP server on loopback.
// Each worker runs on a clock of the test's own, so a day, midnight or clocks that disagree
// take no time (SPEC §2: the business day belongs to billing).
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { SMTPServer } from 'smtp-server'
import { derivedIds } from '../../contracts/derived-ids.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { definition as billingDefinition } from '../billing/main.ts'
import { silentLogger } from '../runtime/log.ts'
import { ensureStreams } from '../runtime/nats.ts'
import { sleep, tempDir, waitFor } from '../runtime/testing/helpers.ts'
import { freePort, type NatsFixture, startNats } from '../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../runtime/worker.ts'
import { definition } from './main.ts'

type Clocked = { time: number }
const clockOf = (c: Clocked) => ({ now: () => new Date(c.time), newId: randomUUID })
const at = (iso: string) => Date.parse(iso)

/** billing and close on one nats-server, each on its own clock. */
async function startPair(options: { billingAt: string; closeAt: string; tz?: string; smtpUrl?: string; start?: Array<'billing' | 'close'> }) {
  const dir = tempDir()
  const nats = await startNats()
  const streams = await connectTestStreams(nats.url)
  await ensureStreams(streams.jsm, 1)
  const issuer = await startTestIssuer()
  const clocks = { billing: { time: at(options.billingAt) }, close: { time: at(options.closeAt) } }
  const env = {
    ATES_NATS_URL: nats.url,
    ATES_DATA_DIR: dir.path,
    ATES_BILLING_PORT: '0',
    ATES_CLOSE_PORT: '0',
    ATES_AUTH_URL: issuer.url,
    ATES_TZ: options.tz ?? 'UTC',
    ...(options.smtpUrl ? { ATES_SMTP_URL: options.smtpUrl } : {}),
  }
  const running: { billing?: RunningWorker<unknown>; close?: RunningWorker<unknown> } = {}
  const run = {
    billing: async (extra: Record<string, string> = {}) => {
      running.billing = (await runWorker(billingDefinition(clockOf(clocks.billing)), { ...env, ...extra }, { log: silentLogger, consumer: { backoffMs: () => 30 } })) as RunningWorker<unknown>
    },
    close: async (extra: Record<string, string> = {}) => {
      running.close = (await runWorker(definition(clockOf(clocks.close), { tickMs: 50 }), { ...env, ...extra }, { log: silentLogger, consumer: { backoffMs: () => 30 } })) as RunningWorker<unknown>
    },
  }
  for (const worker of options.start ?? ['billing', 'close']) await run[worker]()
  const admin = await issuer.token({ role: 'admin' })
  const pair = {
    streams,
    clocks,
    running,
    run,
    /** Moves both clocks on. */
    advance(ms: number) {
      clocks.billing.time += ms
      clocks.close.time += ms
    },
    token: (role: 'admin' | 'popug' | 'accountant') => issuer.token({ role }),
    publish: <N extends EventName>(name: N, data: EventData<N>) => streams.publish(name, data, { time: new Date(clocks.billing.time) }),
    async events<N extends EventName>(name: N): Promise<Array<EventData<N>>> {
      return (await streams.events(name.startsWith('billing') ? 'BILLING' : 'TASKS', `${name}.>`)).map((e) => e.data as EventData<N>)
    },
    closeNow: async () => {
      const response = await fetch(`${running.close!.url}/api/closes`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } })
      return { status: response.status, body: (await response.json()) as { business_day?: string; error?: { code: string; message: string; details?: { open_day: string; closes_at: string } } } }
    },
    closes: async () =>
      (await (await fetch(`${running.close!.url}/api/closes`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
        open_day: string | null
        oldest_unclosed_day: string | null
        overdue_seconds: number
        unanswered_requests: number
        closes: Array<{ business_day: string; state: string; attempts: number; refused_reason: string | null }>
      },
    settled: () =>
      waitFor(async () => {
        for (const worker of Object.values(running)) if (!(await fetch(`${worker.url}/readyz?max_lag=0`)).ok) return false
        return true
      }, 'billing and close caught up'),
    async stop() {
      for (const worker of Object.values(running)) await worker.stop()
      await issuer.stop()
      await streams.close()
      await nats.stop()
      dir.remove()
    },
  }
  return pair
}

type Pair = Awaited<ReturnType<typeof startPair>>

/** A task assigned to and completed by `who` now (billing's clock): a fee, then a reward, handled before the clocks move on. */
async function work(pair: Pair, who: string) {
  const task = randomUUID()
  const now = new Date(pair.clocks.billing.time).toISOString()
  await pair.publish('tasks.assigned', { task_id: task, assignee_id: who, previous_assignee_id: null, assigned_at: now })
  await pair.publish('tasks.completed', { task_id: task, assignee_id: who, completed_at: now })
  await pair.settled()
  return task
}

const stampsOf = async (pair: Pair, task: string) => (await pair.events('billing.transaction_applied')).filter((e) => e.task_id === task).map((e) => e.business_day)
const closedDays = async (pair: Pair) => (await pair.events('billing.day_closed')).map((d) => d.business_day)

describe('business days (SPEC §2)', () => {
  test('an early close shifts no later day: work until midnight belongs to the next day, and the calendar is aligned again from midnight', async () => {
    const pair = await startPair({ billingAt: '2026-01-01T08:00:00Z', closeAt: '2026-01-01T08:00:00Z' })
    try {
      const pip = randomUUID()
      pair.advance(2 * 3600_000) // Jan 1, 10:00
      assert.deepEqual((await pair.closeNow()).body, { business_day: '2026-01-01' })
      await waitFor(async () => (await pair.closes()).open_day === '2026-01-02', 'close hears billing opened Jan 2')
      const second = await pair.closeNow()
      assert.equal(second.status, 409, 'a second early close of the same calendar day')
      assert.equal(second.body.error?.code, 'next_day_open')
      assert.deepEqual(second.body.error?.details, { open_day: '2026-01-02', closes_at: '2026-01-03T00:00:00.000Z' })

      pair.advance(5 * 3600_000) // Jan 1, 15:00: after the early close, before midnight
      const afternoon = await work(pair, pip)
      pair.advance(9 * 3600_000 + 1000) // Jan 2, 00:00:01: the schedule's midnight
      await sleep(300)
      await pair.settled()
      assert.deepEqual(await closedDays(pair), ['2026-01-01'], 'midnight finds Jan 1 closed already and closes nothing')
      pair.advance(12 * 3600_000) // Jan 2, 12:00
      const noon = await work(pair, pip)
      pair.advance(12 * 3600_000) // Jan 3, 00:00:01
      await waitFor(async () => (await closedDays(pair)).length === 2, 'the schedule closes Jan 2')
      pair.advance(12 * 3600_000) // Jan 3, 12:00
      const nextNoon = await work(pair, pip)
      await pair.settled()
      assert.deepEqual(await closedDays(pair), ['2026-01-01', '2026-01-02'])
      assert.deepEqual(await stampsOf(pair, afternoon), ['2026-01-02', '2026-01-02'], 'between the early close and midnight: the next day')
      assert.deepEqual(await stampsOf(pair, noon), ['2026-01-02', '2026-01-02'], 'its own calendar day, not the day after')
      assert.deepEqual(await stampsOf(pair, nextNoon), ['2026-01-03', '2026-01-03'])
      assert.deepEqual((await pair.events('billing.day_opened')).map((o) => [o.business_day, o.reason]), [
        ['2026-01-01', 'first_day'],
        ['2026-01-02', 'early_close'],
        ['2026-01-03', 'calendar'],
      ])
    } finally {
      await pair.stop()
    }
  })

  test('billing and close a day apart keep closing: close asks for the days billing has open, and a balance is paid', async () => {
    // Billing started just after midnight of Jan 2, close just before: close's calendar says Jan 1.
    const pair = await startPair({ billingAt: '2026-01-02T00:00:30Z', closeAt: '2026-01-01T23:59:50Z' })
    try {
      const pip = randomUUID()
      await pair.publish('accounts.created', { account_id: pip, name: 'Pip', email: 'pip@ates.test', role: 'popug', active: true })
      await work(pair, pip)
      await waitFor(async () => (await pair.closes()).open_day === '2026-01-02', 'close hears billing opened Jan 2')
      const beforeMidnight = await pair.closeNow()
      assert.equal(beforeMidnight.status, 409, 'on close\'s Jan 1, billing\'s open day has not begun')
      assert.equal(beforeMidnight.body.error?.details?.open_day, '2026-01-02')

      pair.advance(12 * 3600_000) // close: Jan 2, 11:59:50
      assert.deepEqual((await pair.closeNow()).body, { business_day: '2026-01-02' })
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-02'), 'Jan 2 closed')
      const paid = await pair.events('billing.payout_made')
      assert.equal(paid.length, 1)
      assert.ok(paid[0]!.amount > 0, 'the balance is paid')

      pair.advance(24 * 3600_000) // close: Jan 3, 11:59:50
      await waitFor(async () => (await pair.closes()).open_day === '2026-01-03', 'close hears billing opened Jan 3')
      assert.deepEqual((await pair.closeNow()).body, { business_day: '2026-01-03' })
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-03'), 'Jan 3 closed')

      pair.advance(6 * 24 * 3600_000) // close: Jan 9, 11:59:50; the days between ended unclosed
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-08'), 'catch-up closes Jan 4 to Jan 8', 20_000)
      await waitFor(async () => (await pair.closes()).open_day === '2026-01-09', 'close hears billing opened Jan 9')
      assert.deepEqual((await pair.closeNow()).body, { business_day: '2026-01-09' })
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-09'), 'Jan 9 closed')
      assert.deepEqual(await closedDays(pair), ['2026-01-02', '2026-01-03', '2026-01-04', '2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'])
      assert.equal((await pair.closes()).overdue_seconds, 0)
    } finally {
      await pair.stop()
    }
  })

  test('with close ahead of billing, close\'s midnight asks for the day billing has open and billing closes it', async () => {
    const pair = await startPair({ billingAt: '2026-01-01T23:59:50Z', closeAt: '2026-01-02T00:00:30Z' })
    try {
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-01'), 'Jan 1 closed by the schedule')
      await waitFor(async () => (await pair.closes()).open_day === '2026-01-02', 'close hears billing opened Jan 2')
      pair.advance(24 * 3600_000)
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-02'), 'the schedule closes Jan 2')
      assert.deepEqual(await closedDays(pair), ['2026-01-01', '2026-01-02'])
    } finally {
      await pair.stop()
    }
  })

  test('every request is answered: a day billing has passed is refused on the stream; one billing does not answer is asked again and shows overdue', async () => {
    const pair = await startPair({ billingAt: '2026-01-05T10:00:00Z', closeAt: '2026-01-05T10:00:00Z' })
    try {
      // A request for a day billing has passed, sent by hand.
      const request = await pair.publish('billing.day_close_requested', { business_day: '2026-01-01' })
      await waitFor(async () => (await pair.events('billing.day_close_refused')).length === 1, 'the refusal')
      assert.deepEqual(await pair.events('billing.day_close_refused'), [{ business_day: '2026-01-01', reason: 'already_closed', open_day: '2026-01-05', request_event_id: request }])

      // Billing stops; midnight passes; close asks and nobody answers.
      await pair.running.billing!.stop()
      pair.advance(14 * 3600_000 + 1000) // Jan 6, 00:00:01
      await waitFor(async () => (await pair.closes()).closes.some((c) => c.business_day === '2026-01-05' && c.state === 'waiting'), 'the ask for Jan 5')
      pair.advance(20_000)
      await waitFor(async () => (await pair.closes()).closes.find((c) => c.business_day === '2026-01-05')?.attempts === 2, 'asked again')
      const waiting = await pair.closes()
      assert.equal(waiting.closes.find((c) => c.business_day === '2026-01-05')!.state, 'asked_again')
      assert.ok(waiting.overdue_seconds >= 20, `overdue ${waiting.overdue_seconds} s`)
      assert.equal(waiting.unanswered_requests, 1)
      const metrics = await (await fetch(`${pair.running.close!.url}/metrics`)).text()
      assert.match(metrics, /ates_close_overdue_seconds (2\d|[3-9]\d)/)
      const requests = (await pair.events('billing.day_close_requested')).filter((r) => r.business_day === '2026-01-05')
      assert.equal(requests.length, 2, 'each ask is its own event')

      await pair.run.billing()
      await waitFor(async () => (await closedDays(pair)).includes('2026-01-05'), 'billing back, Jan 5 closed once')
      await waitFor(async () => (await pair.closes()).overdue_seconds === 0, 'nothing overdue')
      await pair.settled()
      assert.deepEqual(await closedDays(pair), ['2026-01-05'])
      assert.equal((await pair.events('billing.day_close_refused')).filter((r) => r.business_day === '2026-01-05').length, 1, 'the second ask of a closed day is answered too')
      assert.equal((await pair.closes()).closes.find((c) => c.business_day === '2026-01-05')!.state, 'closed')
    } finally {
      await pair.stop()
    }
  })

  test('rebuilt from a stream whose entries of one account are out of order, billing\'s balance is the sum of its entries', async () => {
    const pair = await startPair({ billingAt: '2026-01-05T12:00:00Z', closeAt: '2026-01-05T12:00:00Z', start: [] })
    try {
      const pip = randomUUID()
      const entry = (transaction: string, debit: number, credit: number, balance_after: number) =>
        pair.streams.publish(
          'billing.transaction_applied',
          { transaction_id: transaction, account_id: pip, kind: debit ? 'assign_fee' : 'completion_reward', debit, credit, task_id: randomUUID(), business_day: '2026-01-05', balance_after, applied_at: '2026-01-05T10:00:00.000Z' },
          { eventId: derivedIds.applied(transaction) },
        )
      await pair.streams.publish('billing.day_opened', { business_day: '2026-01-05', time_zone: 'UTC', reason: 'first_day', opened_at: '2026-01-05T08:00:00.000Z' }, { eventId: derivedIds.opened('2026-01-05') })
      // −1000 was written first (balance −1000), then +3000 (balance 2000); the stream holds them the other way round.
      await entry(randomUUID(), 0, 3000, 2000)
      await entry(randomUUID(), 1000, 0, -1000)
      await pair.run.billing()
      await pair.run.close()
      assert.deepEqual((await pair.closeNow()).body, { business_day: '2026-01-05' })
      await waitFor(async () => (await closedDays(pair)).length === 1, 'the close')
      const paid = await pair.events('billing.payout_made')
      assert.deepEqual(paid.map((p) => p.amount), [2000], 'the payout is the sum of the entries')
    } finally {
      await pair.stop()
    }
  })

  test('close refuses to start in a zone other than the one billing states', async () => {
    const pair = await startPair({ billingAt: '2026-01-05T12:00:00Z', closeAt: '2026-01-05T12:00:00Z', start: ['billing'], tz: 'Europe/Berlin' })
    try {
      await pair.running.billing!.relay.flushed()
      await assert.rejects(pair.run.close({ ATES_TZ: 'UTC' }), /billing keeps its business days in Europe\/Berlin but close runs in UTC/)
    } finally {
      await pair.stop()
    }
  })
})

describe('payout mails', () => {
  let smtp: SMTPServer
  let smtpUrl: string
  const mails: string[] = []
  before(async () => {
    const port = await freePort()
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
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve))
    smtpUrl = `smtp://127.0.0.1:${port}`
  })
  after(() => new Promise<void>((resolve) => smtp.close(() => resolve())))

  test('after three days down, every ended day is closed in order, once; the payout is mailed once', async () => {
    const pair = await startPair({ billingAt: '2026-11-20T10:00:00Z', closeAt: '2026-11-20T10:00:00Z', smtpUrl })
    try {
      const pip = randomUUID()
      await pair.publish('accounts.created', { account_id: pip, name: 'Pip', email: 'pip@ates.test', role: 'popug', active: true })
      await work(pair, pip)
      await pair.settled()
      assert.equal((await pair.events('billing.day_close_requested')).length, 0, 'nothing has ended yet')
      await pair.running.close!.stop()

      pair.advance(3 * 24 * 3600_000) // three days later
      await pair.run.close()
      await waitFor(async () => (await closedDays(pair)).length === 3, 'three closes', 20_000)
      assert.deepEqual((await pair.events('billing.day_close_requested')).map((d) => d.business_day), ['2026-11-22'], 'one ask closes them all')
      const closed = await pair.events('billing.day_closed')
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
      await pair.running.close!.stop()
      await pair.streams.jsm.consumers.delete('BILLING', 'close-billing-payout_made')
      await pair.run.close()
      await pair.settled()
      await sleep(1500)
      assert.equal(mails.length, 1, 'mailed once')
    } finally {
      await pair.stop()
    }
  })

  test('only admins close; the API answers with billing\'s calendar', async () => {
    const pair = await startPair({ billingAt: '2026-11-23T10:00:00Z', closeAt: '2026-11-23T10:00:00Z' })
    try {
      const url = `${pair.running.close!.url}/api/closes`
      assert.equal((await fetch(url, { method: 'POST' })).status, 401)
      for (const role of ['popug', 'accountant'] as const) {
        assert.equal((await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${await pair.token(role)}` } })).status, 403, role)
      }
      await waitFor(async () => (await pair.closes()).open_day === '2026-11-23', 'close hears billing\'s open day')
      const calendar = await pair.closes()
      assert.equal(calendar.oldest_unclosed_day, '2026-11-23')
      assert.equal(calendar.overdue_seconds, 0)
    } finally {
      await pair.stop()
    }
  })
})
