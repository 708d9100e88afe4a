// billing's handlers on a real (in-memory) SQLite file, through the runtime's batch (inbox,
// savepoints), fed random event sequences with duplicates and reorderings.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { type Envelope, makeEnvelope } from '../../contracts/envelope.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { applyBatch } from '../runtime/batch.ts'
import { emitted, testContext } from '../runtime/testing/context.ts'
import { seededRandom } from '../runtime/testing/helpers.ts'
import { producerOf } from '../runtime/testing/streams.ts'
import { accountHandlers, closeHandlers, prepare, taskHandlers } from './handlers.ts'
import { allBalances, type DB, migrations } from './store.ts'
import { derivedIds } from '../../contracts/derived-ids.ts'

const DAY = '2026-11-23'

test('ledger invariants over random event sequences: balance = Σcredit − Σdebit; one fee per assignment at the task price; one reward per completion; payouts = positive balances', async () => {
  const random = seededRandom(2026)
  let eventsChecked = 0
  for (let run = 0; run < 1500; run++) {
    let clock = Date.parse(`${DAY}T09:00:00Z`)
    const ctx = testContext<DB>('billing', migrations, { now: () => new Date((clock += 1000)), env: { ATES_TZ: 'UTC' } })
    await prepare(ctx, random) // opens the first business day: today by the clock
    const handlers = { ...accountHandlers(ctx), ...taskHandlers(ctx, random), ...closeHandlers(ctx, random) }
    const deliver = (events: Envelope[]) =>
      applyBatch(ctx.store, events.map((event) => ({ decoded: { ok: true, event, version: event.event_version }, deliveries: 1 })), handlers, { consumer: 'test', maxDeliver: 10 })

    const people = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomUUID())
    const tasks = Array.from({ length: 1 + Math.floor(random() * 5) }, () => randomUUID())
    const events: Envelope[] = []
    const event = <N extends EventName>(name: N, data: EventData<N>) => {
      const envelope = makeEnvelope({ name, data, eventId: randomUUID(), time: new Date(clock), producer: producerOf(name) }).envelope
      events.push(envelope as Envelope)
      return envelope
    }
    const pick = <T,>(xs: T[]) => xs[Math.floor(random() * xs.length)]!
    const at = () => new Date(clock).toISOString()
    for (const task of tasks) {
      const first = pick(people)
      event('tasks.created', { task_id: task, title: 't', jira_id: null, description: '', assignee_id: first, created_at: at() })
      event('tasks.assigned', { task_id: task, assignee_id: first, previous_assignee_id: null, assigned_at: at() })
      for (let r = Math.floor(random() * 3); r > 0; r--) event('tasks.assigned', { task_id: task, assignee_id: pick(people), previous_assignee_id: first, assigned_at: at() })
      if (random() < 0.6) event('tasks.completed', { task_id: task, assignee_id: pick(people), completed_at: at() })
    }
    // Delivered out of order, some twice, in batches of random sizes.
    const delivered = [...events, ...events.filter(() => random() < 0.3)]
    for (let i = delivered.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!]
    }
    const outcomes: string[] = []
    for (let i = 0; i < delivered.length; ) {
      const size = 1 + Math.floor(random() * 5)
      outcomes.push(...deliver(delivered.slice(i, i + size)).map((o) => o.kind))
      i += size
    }
    eventsChecked += delivered.length
    // No inbox record is kept for these events: each handler finds its own effect, so every
    // first delivery applies and every copy is a duplicate.
    assert.equal(outcomes.filter((o) => o === 'applied').length, events.length, 'each event applied once')
    assert.equal(outcomes.filter((o) => o === 'duplicate').length, delivered.length - events.length, 'each copy a duplicate')

    const out = emitted(ctx)
    const price = new Map(out.filter((e) => e.subject.startsWith('billing.task_priced')).map((e) => [e.data.task_id as string, e.data as EventData<'billing.task_priced'>]))
    const entries = out.filter((e) => e.subject.startsWith('billing.transaction_applied')).map((e) => e.data as EventData<'billing.transaction_applied'>)
    assert.equal(price.size, tasks.length, 'each task priced once')
    const assigned = events.filter((e): e is Envelope<'tasks.assigned'> => e.event_name === 'tasks.assigned')
    const completed = events.filter((e): e is Envelope<'tasks.completed'> => e.event_name === 'tasks.completed')
    const fees = entries.filter((e) => e.kind === 'assign_fee')
    assert.equal(fees.length, assigned.length, 'one fee per assignment')
    assert.equal(fees.reduce((s, e) => s + e.debit, 0), assigned.reduce((s, e) => s + price.get(e.data.task_id)!.assign_fee, 0))
    const rewards = entries.filter((e) => e.kind === 'completion_reward')
    assert.equal(rewards.length, completed.length, 'one reward per completion')
    assert.ok(rewards.every((e) => e.credit === price.get(e.task_id!)!.completion_reward))
    const running = new Map<string, number>()
    for (const e of entries) {
      running.set(e.account_id, (running.get(e.account_id) ?? 0) + e.credit - e.debit)
      assert.equal(e.balance_after, running.get(e.account_id), 'balance_after is the running sum')
    }
    const balances = () => new Map(allBalances(ctx.store).map((b) => [b.account_id, b.balance]))
    assert.deepEqual(balances(), running)

    const positive = [...running.values()].filter((b) => b > 0).reduce((s, b) => s + b, 0)
    const closeRequest = () => event('billing.day_close_requested', { business_day: DAY }) as Envelope
    deliver([closeRequest()])
    deliver([closeRequest()])
    const paid = emitted(ctx)
      .filter((e) => e.subject.startsWith('billing.transaction_applied') && e.data.kind === 'payout')
      .reduce((s, e) => s + (e.data.debit as number), 0)
    assert.equal(paid, positive, 'payouts equal the positive balances, once')
    assert.ok([...balances().values()].every((b) => b <= 0), 'no positive balance after the close')
    assert.equal(emitted(ctx).filter((e) => e.subject.startsWith('billing.day_closed')).length, 1, 'one close for two requests')
    ctx.store.close()
  }
  assert.ok(eventsChecked > 10_000, `${eventsChecked} events`)
})

test('a rebuild from a stream holding an account\'s entries out of order gives each balance the sum of its entries', async () => {
  // The stream holds +3000 (balance_after 2000) before −1000 (balance_after −1000): the last
  // balance_after in stream order would say −1000.
  const account = 'a0000000-0000-4000-8000-000000000001'
  const entry = (transaction: string, debit: number, credit: number, after: number, appliedAt: string) =>
    makeEnvelope({
      name: 'billing.transaction_applied',
      data: { transaction_id: transaction, account_id: account, kind: debit ? 'assign_fee' : 'completion_reward', debit, credit, task_id: 'b0000000-0000-4000-8000-000000000001', business_day: DAY, balance_after: after, applied_at: appliedAt },
      eventId: derivedIds.applied(transaction),
      time: new Date(appliedAt),
      producer: 'billing',
    }).envelope as Envelope
  const ownStream = [
    makeEnvelope({ name: 'billing.day_opened', data: { business_day: DAY, time_zone: 'UTC', reason: 'first_day', opened_at: `${DAY}T08:00:00.000Z` }, eventId: derivedIds.opened(DAY), time: new Date(`${DAY}T08:00:00.000Z`), producer: 'billing' }).envelope as Envelope,
    entry('c0000000-0000-4000-8000-000000000002', 0, 3000, 2000, `${DAY}T10:00:00.000Z`),
    entry('c0000000-0000-4000-8000-000000000001', 1000, 0, -1000, `${DAY}T09:00:00.000Z`),
  ]
  const ctx = testContext<DB>('billing', migrations, { now: () => new Date(`${DAY}T12:00:00Z`), ownStream })
  await prepare(ctx, () => 0)
  assert.deepEqual(allBalances(ctx.store), [{ account_id: account, balance: 2000 }])
  ctx.store.close()
})

test('billing refuses to start in a zone other than the one its ledger was kept in', async () => {
  const ctx = testContext<DB>('billing', migrations, { now: () => new Date(`${DAY}T12:00:00Z`), env: { ATES_TZ: 'Europe/Berlin' } })
  await prepare(ctx, () => 0)
  const moved = { ...ctx, config: { ...ctx.config, tz: 'UTC' } }
  await assert.rejects(prepare(moved, () => 0), /billing keeps its business days in Europe\/Berlin but ATES_TZ is UTC/)
  ctx.store.close()
})
