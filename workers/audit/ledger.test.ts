// The audit's rules in small: the settle rule, a chain rebuilt from balances whatever order
// the entries came in, and a close just after midnight that paid balances already holding an
// entry of the new day (the moment of the close counts, not the business day of the entries).
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { derivedIds as ids } from '../../contracts/derived-ids.ts'
import { type Envelope, makeEnvelope } from '../../contracts/envelope.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { producerOf } from '../runtime/testing/streams.ts'
import { type Entry, isDifference } from './domain.ts'
import { chainOf } from './ledger.ts'
import { AuditPass } from './pass.ts'

describe('the settle rule', () => {
  const since = '2026-11-23T10:00:00.000Z'
  test('a finding is a difference once it is the settle time old at a moment the audit was caught up', () => {
    assert.equal(isDifference(since, undefined, 0), false, 'never caught up: nothing is judged')
    assert.equal(isDifference(since, new Date('2026-11-23T10:00:59.999Z'), 60), false)
    assert.equal(isDifference(since, new Date('2026-11-23T10:01:00.000Z'), 60), true)
    assert.equal(isDifference(since, new Date(since), 0), true)
  })
})

describe('a chain of balances', () => {
  const entry = (n: number, debit: number, credit: number, balance_after: number, applied_at: string): Entry => ({
    event_id: `e${n}`,
    at: applied_at,
    transaction_id: `t${n}`,
    account_id: 'pip',
    kind: credit ? 'completion_reward' : 'assign_fee',
    debit,
    credit,
    task_id: null,
    business_day: '2026-11-23',
    balance_after,
    applied_at,
  })
  test('is rebuilt from the balances, whatever order the entries came in; a break is where no entry fits', () => {
    const a = entry(1, 1000, 0, -1000, '2026-11-23T10:00:00.000Z')
    const b = entry(2, 0, 3000, 2000, '2026-11-23T10:00:00.000Z')
    const c = entry(3, 1500, 0, 500, '2026-11-23T10:00:01.000Z')
    assert.deepEqual(chainOf(0, [c, b, a]).map((link) => [link.entry.event_id, link.before, link.fits]), [['e1', 0, true], ['e2', -1000, true], ['e3', 2000, true]])
    const wrong = entry(4, 1500, 0, 400, '2026-11-23T10:00:01.000Z')
    assert.deepEqual(chainOf(0, [wrong, b, a]).map((link) => [link.entry.event_id, link.fits]), [['e1', true], ['e2', true], ['e4', false]])
  })
})

describe('a close just after midnight', () => {
  test("pays the balance of its moment, a fee of the new day included: the audit finds nothing", () => {
    const events: Envelope[] = []
    let n = 0
    const emit = <N extends EventName>(name: N, data: EventData<N>, time: string, eventId = `00000000-0000-4000-8000-${String((n += 1)).padStart(12, '0')}`) => {
      const { envelope } = makeEnvelope({ name, data, eventId, time: new Date(time), producer: producerOf(name) })
      events.push(envelope as Envelope)
      return envelope
    }
    const pip = '00000000-0000-4000-8000-00000000000a'
    const applied = (transaction: string, kind: 'assign_fee' | 'completion_reward' | 'payout', debit: number, credit: number, task: string | null, day: string, after: number, time: string) =>
      emit('billing.transaction_applied', { transaction_id: transaction, account_id: pip, kind, debit, credit, task_id: task, business_day: day, balance_after: after, applied_at: time }, time, ids.applied(transaction))
    const work = (task: string, time: string) => {
      emit('tasks.created', { task_id: task, title: 'Chore', jira_id: null, description: '', assignee_id: pip, created_at: time }, time)
      emit('billing.task_priced', { task_id: task, assign_fee: task.endsWith('1') ? 1000 : 1500, completion_reward: 3000 }, time, ids.price(task))
      return emit('tasks.assigned', { task_id: task, assignee_id: pip, previous_assignee_id: null, assigned_at: time }, time)
    }
    const [t1, t2] = ['00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000f2']
    const first = work(t1, '2026-11-23T23:58:00.000Z')
    applied(ids.fee(first.event_id), 'assign_fee', 1000, 0, t1, '2026-11-23', -1000, '2026-11-23T23:58:00.000Z')
    const done = emit('tasks.completed', { task_id: t1, assignee_id: pip, completed_at: '2026-11-23T23:59:00.000Z' }, '2026-11-23T23:59:00.000Z')
    applied(ids.reward(done.event_id), 'completion_reward', 0, 3000, t1, '2026-11-23', 2000, '2026-11-23T23:59:00.000Z')
    // Billing's calendar has reached the 24th: this fee is of the new day, before the close of the 23rd.
    const second = work(t2, '2026-11-24T00:00:01.000Z')
    applied(ids.fee(second.event_id), 'assign_fee', 1500, 0, t2, '2026-11-24', 500, '2026-11-24T00:00:01.000Z')
    const closing = '2026-11-24T00:00:02.000Z'
    const payout = ids.payout('2026-11-23', pip)
    applied(payout, 'payout', 500, 0, null, '2026-11-23', 0, closing)
    emit('billing.payout_made', { account_id: pip, business_day: '2026-11-23', amount: 500, transaction_id: payout }, closing, ids.paid(payout))
    const closed = emit('billing.day_closed', { business_day: '2026-11-23', accounts_paid: 1, total_paid: 500, management_earnings: -2000, accounts_negative: 0 }, closing, ids.closed('2026-11-23'))
    emit('analytics.day_figures', { business_day: '2026-11-23', management_earnings: -2000, accounts_negative: 0 }, '2026-11-24T00:00:03.000Z', ids.dayFigures(closed.event_id))

    const pass = new AuditPass({ inMemory: true })
    try {
      pass.take(events)
      const report = pass.judge(new Date('2026-11-25T00:00:00Z'), 60)
      assert.deepEqual(report.differences, [])
      assert.equal(report.entries, 4)
    } finally {
      pass.close()
    }
  })
})
