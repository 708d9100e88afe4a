// analytics' published figures (analytics.day_figures), on a real (in-memory) SQLite file
// through the runtime's batch: one at each close, and again when an entry of a closed day
// arrives after the close; the latest holds the day's whole earnings.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { derivedIds } from '../../contracts/derived-ids.ts'
import { type Envelope, makeEnvelope } from '../../contracts/envelope.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { applyBatch } from '../runtime/batch.ts'
import { AuditPass } from '../audit/pass.ts'
import { drainOutbox, emitted, testContext } from '../runtime/testing/context.ts'
import { producerOf } from '../runtime/testing/streams.ts'
import { billingHandlers } from './handlers.ts'
import { type DB, migrations } from './store.ts'

const DAY = '2026-11-23'
const event = <N extends EventName>(name: N, data: EventData<N>) =>
  makeEnvelope({ name, data, eventId: randomUUID(), time: new Date(`${DAY}T10:00:00Z`), producer: producerOf(name) }).envelope as Envelope
const entry = (kind: 'assign_fee' | 'completion_reward' | 'payout', debit: number, credit: number, balance_after: number) =>
  event('billing.transaction_applied', { transaction_id: randomUUID(), account_id: randomUUID(), kind, debit, credit, task_id: kind === 'payout' ? null : randomUUID(), business_day: DAY, balance_after, applied_at: `${DAY}T10:00:00.000Z` })

const deliverTo = (ctx: ReturnType<typeof testContext<DB>>) => {
  const handlers = billingHandlers(ctx)
  return (...events: Envelope[]) =>
    applyBatch(ctx.store, events.map((e) => ({ decoded: { ok: true, event: e, version: e.event_version }, deliveries: 1 })), handlers, { consumer: 'test', maxDeliver: 10 })
}

test('analytics publishes its figures of a day at the close, and again for a fee or reward of the day that comes after it; a payout moves nothing', () => {
  const ctx = testContext<DB>('analytics', migrations)
  const deliver = deliverTo(ctx)

  const closed = event('billing.day_closed', { business_day: DAY, accounts_paid: 1, total_paid: 500, management_earnings: 999, accounts_negative: 2 })
  const late = entry('assign_fee', 1200, 0, -1200)
  deliver(entry('assign_fee', 1500, 0, -1500), entry('completion_reward', 0, 2000, 500), entry('payout', 500, 0, 0))
  assert.deepEqual(emitted(ctx), [], 'nothing before the close')
  // The close delivered twice in a batch: its inbox record makes the second a duplicate.
  assert.deepEqual(
    deliver(closed, late, entry('payout', 100, 0, 0), closed).map((o) => o.kind),
    ['applied', 'applied', 'applied', 'duplicate'],
  )
  // An entry seen again (no inbox record: its transaction id is counted once) is a duplicate and publishes nothing.
  assert.deepEqual(deliver(late).map((o) => o.kind), ['duplicate'])
  assert.equal(ctx.store.sqlite.prepare('SELECT count(*) FROM inbox').pluck().get(), 1, 'only the close is recorded')
  assert.deepEqual(emitted(ctx), [
    { subject: 'analytics.day_figures.v1', event_id: derivedIds.dayFigures(closed.event_id), data: { business_day: DAY, management_earnings: -500, accounts_negative: 2 } },
    { subject: 'analytics.day_figures.v1', event_id: derivedIds.dayFigures(late.event_id), data: { business_day: DAY, management_earnings: 700, accounts_negative: 2 } },
  ])
})

test("a day's figures each come later than the one before, within one batch and one millisecond: the audit believes the last, which holds the whole day", () => {
  const now = new Date(`${DAY}T18:00:00.000Z`)
  const ctx = testContext<DB>('analytics', migrations, { now: () => now })
  const deliver = deliverTo(ctx)
  const fees = [entry('assign_fee', 1500, 0, -1500), entry('assign_fee', 1100, 0, -1100)]
  const late = [entry('assign_fee', 1200, 0, -1200), entry('completion_reward', 0, 2500, 2500), entry('assign_fee', 1700, 0, -1700), entry('assign_fee', 1300, 0, -1300)]
  const closed = event('billing.day_closed', { business_day: DAY, accounts_paid: 0, total_paid: 0, management_earnings: 4300, accounts_negative: 5 })
  // The close comes before four entries of its day (they were redelivered after a crash), all in one batch.
  deliver(...fees)
  deliver(closed, ...late)
  deliver(late[0]!, entry('payout', 100, 0, 0))
  const figures = drainOutbox(ctx)
  assert.equal(figures.length, 5, 'at the close, then for each late fee or reward')
  const times = figures.map((f) => Date.parse(f.event_time))
  assert.deepEqual(times, times.map((_, i) => now.getTime() + i), 'each a millisecond after the one before, though the clock stood still')
  assert.equal((figures.at(-1)!.data as { management_earnings: number }).management_earnings, 1500 + 1100 + 1200 - 2500 + 1700 + 1300)
  // Another batch later, at the same clock: still later than the last.
  deliver(entry('assign_fee', 1000, 0, -1000))
  assert.equal(Date.parse(drainOutbox(ctx)[0]!.event_time), now.getTime() + 5)

  const audit = new AuditPass({ inMemory: true })
  try {
    audit.take([...fees, closed, ...late, ...figures])
    const report = audit.judge(new Date(now.getTime() + 60_000), 0)
    assert.equal(report.counts.analytics_disagrees, 0, JSON.stringify(report.differences.filter((d) => d.kind === 'analytics_disagrees')))
  } finally {
    audit.close()
  }
})
