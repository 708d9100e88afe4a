// The audit's rules over the streams of a small world, through its handlers and store (a pass,
// as `make reconcile` runs it): silent when everything adds up, and each difference planted
// the way a broken worker would have written it is reported exactly once, with its kind.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { randomUUID } from 'node:crypto'
import { derivedIds } from '../../contracts/derived-ids.ts'
import { type Envelope, makeEnvelope } from '../../contracts/envelope.ts'
import type { EventData, EventName } from '../../contracts/registry.ts'
import { producerOf } from '../runtime/testing/streams.ts'
import { seededRandom } from '../runtime/testing/helpers.ts'
import { AuditPass, type PassReport } from './pass.ts'
import { DAY1, KESHA, PIP, type Plant, T1, T2, T3, world } from './testing/world.ts'

const AFTER = new Date('2026-11-25T00:00:00Z')

function audit(events: Envelope[], readAt = AFTER, settleSeconds = 60): PassReport {
  const pass = new AuditPass({ inMemory: true })
  try {
    pass.take(events)
    return pass.judge(readAt, settleSeconds)
  } finally {
    pass.close()
  }
}

const everything = (plant: Plant = {}) => {
  const w = world(plant)
  return [...w.tasks, ...w.billing, ...w.analytics]
}
const found = (plant: Plant) => audit(everything(plant)).differences.map((d) => ({ kind: d.kind, task: d.task_id, account: d.account_id, day: d.business_day ?? d.day, message: d.message }))

describe('the audit over a whole world', () => {
  test('a world that adds up has no differences, and is counted', () => {
    const report = audit(everything())
    assert.deepEqual(report.differences, [])
    assert.equal(report.pending, 0)
    assert.deepEqual({ events: report.events, tasks: report.tasks, accounts: report.accounts, entries: report.entries, cents: report.cents }, { events: 18, tasks: 2, accounts: 2, entries: 6, cents: 10000 })
  })

  test('the same events again, and in any order, change nothing', () => {
    const events = everything()
    assert.deepEqual(audit([...events].reverse().concat(events.slice(0, 7))).differences, [])
  })
})

describe('each planted difference is reported once', () => {
  type Expected = { kind: string; task?: string; account?: string; day?: string; message: RegExp }
  const cases: Array<[string, Plant, Expected]> = [
    ['a fee twice', { feeTwice: true }, { kind: 'fee_twice', task: T1, message: /a fee of \$10\.00 on 00000000 for task 00000000 beyond the one each assignment caused/ }],
    ['a fee missing', { feeMissing: true }, { kind: 'fee_missing', task: T2, message: /^assignment 00000000 of task 00000000 by 00000000 has no fee$/ }],
    ['a wrong price', { wrongFee: 1100 }, { kind: 'fee_wrong', task: T1, message: /expected a fee of \$10\.00 on 00000000, the ledger has a fee of \$11\.00 on 00000000 for task 00000000/ }],
    ['a payout not equal to the balance', { payoutShortBy: 500 }, { kind: 'payout_not_balance', account: KESHA, day: DAY1, message: /paid out \$15\.00 of a balance of \$20\.00, leaving \$5\.00/ }],
    ['a payout of a day never closed', { neverClosed: true }, { kind: 'payout_unclosed_day', account: KESHA, day: DAY1, message: /payout [0-9a-f]{8} of \$20\.00 for 2026-11-23, a day that was never closed/ }],
    ['analytics disagreeing', { analyticsEarnings: 600 }, { kind: 'analytics_disagrees', day: DAY1, message: /analytics shows \$6\.00 earned and 1 accounts below zero on 2026-11-23, the ledger \$5\.00 and 1/ }],
    ['a fee for a task never assigned', { feeNeverAssigned: true }, { kind: 'fee_unexplained', task: T3, message: /a fee of \$15\.00 on 00000000 for task 00000000, which was never assigned by that account/ }],
    ['a reward missing', { rewardMissing: true }, { kind: 'reward_missing', task: T1, message: /^completion 00000000 of task 00000000 by 00000000 has no reward$/ }],
    ['a balance_after off the chain', { wrongBalanceAfter: -2600 }, { kind: 'balance_chain', account: PIP, day: DAY1, message: /says the balance became −\$26\.00, but −\$10\.00 − \$15\.00 is −\$25\.00/ }],
    ['analytics silent about a closed day', { analyticsSilent: true }, { kind: 'analytics_missing', day: DAY1, message: /analytics published no figures for 2026-11-23/ }],
  ]
  for (const [what, plant, expected] of cases) {
    test(what, () => {
      const differences = found(plant)
      assert.equal(differences.length, 1, JSON.stringify(differences, null, 2))
      const [difference] = differences
      const { message, ...rest } = expected
      assert.match(difference!.message, message)
      for (const [key, value] of Object.entries(rest)) assert.equal(difference![key as keyof typeof difference], value, key)
    })
  }
})

describe('judged as the events come', () => {
  test('judged after every event, in any order, the audit ends where one pass over all of them does', () => {
    const random = seededRandom(24)
    const plants: Plant[] = [{}, { feeTwice: true }, { feeMissing: true }, { payoutShortBy: 500 }, { neverClosed: true }, { wrongBalanceAfter: -2600 }, { feeNeverAssigned: true }]
    for (const plant of plants) {
      const expected = audit(everything(plant)).differences
      for (let round = 0; round < 20; round++) {
        const events = everything(plant)
        for (let i = events.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1))
          ;[events[i], events[j]] = [events[j]!, events[i]!]
        }
        const pass = new AuditPass({ inMemory: true })
        try {
          for (const event of events) {
            pass.take([event])
            pass.judge(AFTER, 60)
          }
          assert.deepEqual(pass.judge(AFTER, 60).differences, expected, `${JSON.stringify(plant)}, round ${round}`)
        } finally {
          pass.close()
        }
      }
    }
  })
})

describe('the settle rule', () => {
  test('a fee that is merely late is pending, not a difference, and is no finding once it comes', () => {
    const events = everything()
    const fee = events.findIndex((e) => e.event_name === 'billing.transaction_applied')
    const [late] = events.splice(fee, 1) as [Envelope]
    const pass = new AuditPass({ inMemory: true })
    try {
      pass.take(events)
      // Read one minute after the assignment: not settled with 60 s, settled with 30 s.
      const soon = new Date(Date.parse(late.event_time) + 60_000 - 1)
      const young = pass.judge(soon, 60)
      assert.deepEqual([young.total, young.pending > 0], [0, true])
      // Without it Pip's balances and the day's earnings do not add up either.
      assert.deepEqual(pass.judge(soon, 30).differences.map((d) => d.kind), ['fee_missing', 'balance_chain', 'close_disagrees'])
      pass.take([late])
      const after = pass.judge(soon, 0)
      assert.deepEqual([after.total, after.pending], [0, 0])
    } finally {
      pass.close()
    }
  })
})

describe('entries of one decision', () => {
  test('sharing their times, they are taken in stream order: a reshuffle moving two tasks to one popug just before the close', () => {
    const day = '2026-11-23'
    const time = (second: number) => `${day}T10:00:${String(second).padStart(2, '0')}.000Z`
    const events: Envelope[] = []
    const emit = <N extends EventName>(name: N, data: EventData<N>, at: string, eventId: string = randomUUID()) => {
      events.push(makeEnvelope({ name, data, eventId, time: new Date(at), producer: producerOf(name) }).envelope as Envelope)
      return eventId
    }
    const fee = (task: string, account: string, amount: number, after: number, second: number, eventId?: string) => {
      const assigned = emit('tasks.assigned', { task_id: task, assignee_id: account, previous_assignee_id: null, assigned_at: time(second) }, time(second))
      const transaction = derivedIds.fee(assigned)
      emit('billing.transaction_applied', { transaction_id: transaction, account_id: account, kind: 'assign_fee', debit: amount, credit: 0, task_id: task, business_day: day, balance_after: after, applied_at: time(second) }, time(second), eventId)
    }
    const [t1, t2, t3] = [randomUUID(), randomUUID(), randomUUID()]
    for (const task of [t1, t2, t3]) {
      emit('tasks.created', { task_id: task, title: 'T', jira_id: null, description: '', assignee_id: PIP, created_at: time(1) }, time(1))
      emit('billing.task_priced', { task_id: task, assign_fee: 1000, completion_reward: 3000 }, time(1), derivedIds.price(task))
    }
    fee(t1, PIP, 1000, -1000, 2)
    const done = emit('tasks.completed', { task_id: t1, assignee_id: PIP, completed_at: time(3) }, time(3))
    emit('billing.transaction_applied', { transaction_id: derivedIds.reward(done), account_id: PIP, kind: 'completion_reward', debit: 0, credit: 3000, task_id: t1, business_day: day, balance_after: 2000, applied_at: time(3) }, time(3))
    // One moment, two fees on Pip: the later one in the stream has the smaller event id.
    fee(t2, PIP, 1000, 1000, 5, 'ffffffff-0000-4000-8000-000000000000')
    fee(t3, PIP, 1000, 0, 5, '00000000-0000-4000-8000-000000000001')
    // Pip ends the day at $0: nothing to pay, nobody below zero.
    const closed = emit('billing.day_closed', { business_day: day, accounts_paid: 0, total_paid: 0, management_earnings: 0, accounts_negative: 0 }, time(30))
    emit('analytics.day_figures', { business_day: day, management_earnings: 0, accounts_negative: 0 }, time(31), derivedIds.dayFigures(closed))
    assert.deepEqual(audit(events).differences.map((d) => `${d.kind}: ${d.message}`), [])
  })
})
