// The checker over a small hand-made ledger: silent when everything adds up, and each
// planted error is named in a readable sentence.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { derivedIds as ids } from '../../contracts/derived-ids.ts'
import { type Evidence, checkInvariants, type Recorded } from './invariants.ts'

const PIP = '00000000-0000-4000-8000-00000000000a'
const KESHA = '00000000-0000-4000-8000-00000000000b'
const T1 = '00000000-0000-4000-8000-0000000000f1'
const T2 = '00000000-0000-4000-8000-0000000000f2'
const eventId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const at = (n: number) => `2026-11-23T10:00:${String(n).padStart(2, '0')}.000Z`

/**
 * Day 1: T1 (fee 10, reward 30) assigned to Pip, reassigned to Kesha, completed by Kesha;
 * T2 (fee 15) assigned to Pip. Close: Kesha paid 20; Pip stays at −25. Day 2: T2 reassigned to Kesha.
 */
function world(): Evidence {
  const tasks: Recorded[] = [
    { event_id: eventId(1), name: 'tasks.created', data: { task_id: T1, title: 'Clean', jira_id: null, description: '', assignee_id: PIP, created_at: at(1) } },
    { event_id: eventId(2), name: 'tasks.assigned', data: { task_id: T1, assignee_id: PIP, previous_assignee_id: null, assigned_at: at(1) } },
    { event_id: eventId(3), name: 'tasks.created', data: { task_id: T2, title: 'Feed', jira_id: 'UBERPOP-1', description: '', assignee_id: PIP, created_at: at(2) } },
    { event_id: eventId(4), name: 'tasks.assigned', data: { task_id: T2, assignee_id: PIP, previous_assignee_id: null, assigned_at: at(2) } },
    { event_id: eventId(5), name: 'tasks.assigned', data: { task_id: T1, assignee_id: KESHA, previous_assignee_id: PIP, assigned_at: at(3) } },
    { event_id: eventId(6), name: 'tasks.completed', data: { task_id: T1, assignee_id: KESHA, completed_at: at(4) } },
    { event_id: eventId(7), name: 'tasks.assigned', data: { task_id: T2, assignee_id: KESHA, previous_assignee_id: PIP, assigned_at: at(9) } },
  ]
  const entry = (n: number, transaction_id: string, account_id: string, kind: 'assign_fee' | 'completion_reward' | 'payout', debit: number, credit: number, task_id: string | null, balance_after: number, business_day = '2026-11-23'): Recorded =>
    ({ event_id: ids.applied(transaction_id), name: 'billing.transaction_applied', data: { transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at: at(n) } })
  const payout = ids.payout('2026-11-23', KESHA)
  const billing: Recorded[] = [
    { event_id: ids.price(T1), name: 'billing.task_priced', data: { task_id: T1, assign_fee: 1000, completion_reward: 3000 } },
    entry(1, ids.fee(eventId(2)), PIP, 'assign_fee', 1000, 0, T1, -1000),
    { event_id: ids.price(T2), name: 'billing.task_priced', data: { task_id: T2, assign_fee: 1500, completion_reward: 2500 } },
    entry(2, ids.fee(eventId(4)), PIP, 'assign_fee', 1500, 0, T2, -2500),
    entry(3, ids.fee(eventId(5)), KESHA, 'assign_fee', 1000, 0, T1, -1000),
    entry(4, ids.reward(eventId(6)), KESHA, 'completion_reward', 0, 3000, T1, 2000),
    entry(5, payout, KESHA, 'payout', 2000, 0, null, 0),
    { event_id: ids.paid(payout), name: 'billing.payout_made', data: { account_id: KESHA, business_day: '2026-11-23', amount: 2000, transaction_id: payout } },
    { event_id: ids.closed('2026-11-23'), name: 'billing.day_closed', data: { business_day: '2026-11-23', accounts_paid: 1, total_paid: 2000, management_earnings: 500, accounts_negative: 1 } },
    entry(9, ids.fee(eventId(7)), KESHA, 'assign_fee', 1500, 0, T2, -1500, '2026-11-24'),
  ]
  const pageOf = (account: string, day: string) => {
    const list = billing.flatMap((e) => (e.name === 'billing.transaction_applied' && e.data.account_id === account && e.data.business_day === day ? [e.data] : []))
    return { account_id: account, business_day: day, earned: list.filter((e) => e.kind !== 'payout').reduce((s, e) => s + e.credit - e.debit, 0), entries: list }
  }
  return {
    tasks,
    billing,
    balances: [
      { account_id: PIP, balance: -2500 },
      { account_id: KESHA, balance: -1500 },
    ],
    accountDays: [pageOf(PIP, '2026-11-23'), pageOf(KESHA, '2026-11-23'), pageOf(KESHA, '2026-11-24')],
    billingEarnings: [
      { business_day: '2026-11-23', management_earnings: 500 },
      { business_day: '2026-11-24', management_earnings: 1500 },
    ],
    billingOpenDay: '2026-11-24',
    analyticsDays: [
      { business_day: '2026-11-23', management_earnings: 500, accounts_negative: 1 },
      { business_day: '2026-11-24', management_earnings: 1500, accounts_negative: null },
    ],
    analyticsToday: { business_day: '2026-11-24', management_earnings: 1500, accounts_negative: 2 },
    acknowledged: { created: [T1, T2], completed: [T1] },
  }
}

function differencesAfter(plant: (e: Evidence) => void): string[] {
  const evidence = world()
  plant(evidence)
  return checkInvariants(evidence).differences
}

const applied = (e: Evidence, kind: string) =>
  e.billing.find((r): r is Recorded<'billing.transaction_applied'> => r.name === 'billing.transaction_applied' && r.data.kind === kind)!

describe('the invariant checker', () => {
  test('a consistent world has no differences, and is counted', () => {
    const report = checkInvariants(world())
    assert.deepEqual(report.differences, [])
    assert.deepEqual(report.counts, { accounts: 2, tasks: 2, assignments: 4, completions: 1, entries: 6, payouts: 1, closedDays: 1, cents: 10000 })
  })

  test('the same events republished (same ids, same data) change nothing', () => {
    assert.deepEqual(differencesAfter((e) => {
      e.tasks.push(...e.tasks.slice(0, 3))
      e.billing.push(...e.billing.slice(0, 4))
    }), [])
  })

  test('a balance that is not the sum of its ledger', () => {
    const found = differencesAfter((e) => (e.balances[0]!.balance = -2400))
    assert.deepEqual(found, [`account ${PIP.slice(0, 8)}: billing shows -2400 cents, its ledger sums to -2500`])
  })

  test('an assignment charged twice, and one never charged', () => {
    const found = differencesAfter((e) => {
      const fee = applied(e, 'assign_fee')
      e.billing.push({ ...fee, event_id: eventId(99), data: { ...fee.data, transaction_id: eventId(98), balance_after: -3500, applied_at: at(59) } })
      e.tasks.push({ event_id: eventId(50), name: 'tasks.assigned', data: { task_id: T2, assignee_id: PIP, previous_assignee_id: KESHA, assigned_at: at(10) } })
    })
    assert.ok(found.some((d) => /assign_fee 00000000 on 00000000 has no task event that caused it/.test(d)), found.join('\n'))
    assert.ok(found.some((d) => d.startsWith('tasks.assigned 00000000 (task 00000000, account 00000000) has no assign_fee entry')), found.join('\n'))
  })

  test("a fee that is not the task's price", () => {
    const found = differencesAfter((e) => {
      const fee = applied(e, 'assign_fee')
      fee.data = { ...fee.data, debit: 1100, balance_after: -1100 }
    })
    assert.ok(found.some((d) => d.includes('expected assign_fee of 1000 cents, the ledger has assign_fee debit 1100')), found.join('\n'))
    assert.ok(found.some((d) => d.includes('says the balance became -2500, but -1100 − 1500 is -2600')), found.join('\n'))
  })

  test('a payout that is not the whole positive balance', () => {
    const found = differencesAfter((e) => {
      const payout = applied(e, 'payout')
      payout.data = { ...payout.data, debit: 1500, balance_after: 500 }
    })
    assert.ok(found.some((d) => d.includes('did not leave the balance at zero (500)')), found.join('\n'))
    assert.ok(found.some((d) => d.includes('has no matching billing.payout_made')), found.join('\n'))
    assert.ok(found.some((d) => d.includes('was paid 1500 cents with a balance of 2000')), found.join('\n'))
  })

  test('a payout without its close', () => {
    const found = differencesAfter((e) => {
      e.billing = e.billing.filter((r) => r.name !== 'billing.day_closed')
      e.analyticsDays[0]!.accounts_negative = null
    })
    assert.deepEqual(found, [`payout ${ids.payout('2026-11-23', KESHA).slice(0, 8)} of 2026-11-23, a day that never closed`])
  })

  test('analytics and billing disagreeing on a day', () => {
    const found = differencesAfter((e) => {
      e.analyticsDays[0]!.management_earnings = 600
      e.analyticsToday.accounts_negative = 1
    })
    assert.deepEqual(found, ['analytics counts 1 accounts below zero, billing 2', '2026-11-23: analytics shows management earnings of 600 cents, the ledger 500'])
  })

  test('an event id reused for other data, and a task answered 201 that never made it to the stream', () => {
    const found = differencesAfter((e) => {
      const first = e.tasks[1] as Recorded<'tasks.assigned'>
      e.tasks.push({ ...first, data: { ...first.data, assignee_id: KESHA } })
      e.acknowledged = { created: [T1, T2, eventId(77)], completed: [T1, T2] }
    })
    assert.deepEqual(found, [
      'tasks.assigned 00000000 appears twice in its stream with different data',
      'task 00000000 was answered 201 but its events are missing',
      'task 00000000 was answered completed but tasks.completed is missing',
    ])
  })
})
