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
import { emitted, testContext } from '../runtime/testing/context.ts'
import { producerOf } from '../runtime/testing/streams.ts'
import { billingHandlers } from './handlers.ts'
import { type DB, migrations } from './store.ts'

const DAY = '2026-11-23'
const event = <N extends EventName>(name: N, data: EventData<N>) =>
  makeEnvelope({ name, data, eventId: randomUUID(), time: new Date(`${DAY}T10:00:00Z`), producer: producerOf(name) }).envelope as Envelope
const entry = (kind: 'assign_fee' | 'completion_reward' | 'payout', debit: number, credit: number, balance_after: number) =>
  event('billing.transaction_applied', { transaction_id: randomUUID(), account_id: randomUUID(), kind, debit, credit, task_id: kind === 'payout' ? null : randomUUID(), business_day: DAY, balance_after, applied_at: `${DAY}T10:00:00.000Z` })

test('analytics publishes its figures of a day at the close, and again for a fee or reward of the day that comes after it; a payout moves nothing', () => {
  const ctx = testContext<DB>('analytics', migrations)
  const handlers = billingHandlers(ctx)
  const deliver = (...events: Envelope[]) =>
    applyBatch(ctx.store, events.map((e) => ({ decoded: { ok: true, event: e, version: e.event_version }, deliveries: 1 })), handlers, { consumer: 'test', maxDeliver: 10 })

  const closed = event('billing.day_closed', { business_day: DAY, accounts_paid: 1, total_paid: 500, management_earnings: 999, accounts_negative: 2 })
  const late = entry('assign_fee', 1200, 0, -1200)
  deliver(entry('assign_fee', 1500, 0, -1500), entry('completion_reward', 0, 2000, 500), entry('payout', 500, 0, 0))
  assert.deepEqual(emitted(ctx), [], 'nothing before the close')
  deliver(closed, late, entry('payout', 100, 0, 0), closed)
  assert.deepEqual(emitted(ctx), [
    { subject: 'analytics.day_figures.v1', event_id: derivedIds.dayFigures(closed.event_id), data: { business_day: DAY, management_earnings: -500, accounts_negative: 2 } },
    { subject: 'analytics.day_figures.v1', event_id: derivedIds.dayFigures(late.event_id), data: { business_day: DAY, management_earnings: 700, accounts_negative: 2 } },
  ])
})
