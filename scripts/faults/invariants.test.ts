// The checker over a small world as the streams and APIs would show it (the audit's test world):
// silent when everything adds up; the audit's rules speak through it; and each planted
// disagreement of the APIs, or of the audit worker, is named in a readable sentence.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Envelope } from '../../contracts/envelope.ts'
import { amountsOf, managementEarnings } from '../../contracts/money.ts'
import { DAY1, DAY2, entriesOf, KESHA, PIP, type Plant, T1, T2, world } from '../../workers/audit/testing/world.ts'
import { checkInvariants, type Evidence } from './invariants.ts'

/** The world's streams, and what billing's and analytics' APIs answer about them when they work. */
function evidenceOf(plant: Plant = {}): Evidence {
  const w = world(plant)
  const entries = entriesOf(w)
  const sum = <K extends string>(key: (e: (typeof entries)[number]) => K, value: (e: (typeof entries)[number]) => number) => {
    const sums = new Map<K, number>()
    for (const e of entries) sums.set(key(e), (sums.get(key(e)) ?? 0) + value(e))
    return sums
  }
  const balances = sum((e) => e.account_id, (e) => e.credit - e.debit)
  const earnings = sum((e) => e.business_day, (e) => managementEarnings(amountsOf(e)))
  const closedNegative = w.billing.flatMap((e) => (e.event_name === 'billing.day_closed' ? [(e as Envelope<'billing.day_closed'>).data.accounts_negative] : []))[0] ?? null
  const pageOf = (account: string, day: string) => {
    const list = entries.filter((e) => e.account_id === account && e.business_day === day)
    return { account_id: account, business_day: day, earned: list.filter((e) => e.kind !== 'payout').reduce((s, e) => s + e.credit - e.debit, 0), entries: list }
  }
  const pairs = [...new Set(entries.map((e) => `${e.account_id}/${e.business_day}`))].map((p) => p.split('/') as [string, string])
  return {
    ...w,
    balances: [...balances].map(([account_id, balance]) => ({ account_id, balance })),
    accountDays: pairs.map(([account, day]) => pageOf(account, day)),
    billingEarnings: [DAY1, DAY2].map((day) => ({ business_day: day, management_earnings: earnings.get(day) ?? 0 })),
    billingOpenDay: DAY2,
    analyticsDays: [
      { business_day: DAY1, management_earnings: earnings.get(DAY1) ?? 0, accounts_negative: closedNegative },
      { business_day: DAY2, management_earnings: earnings.get(DAY2) ?? 0, accounts_negative: null },
    ],
    analyticsToday: { business_day: DAY2, management_earnings: earnings.get(DAY2) ?? 0, accounts_negative: [...balances.values()].filter((b) => b < 0).length },
    acknowledged: { created: [T1, T2], completed: [T1] },
  }
}

const differencesAfter = (plant: (e: Evidence) => void, planted: Plant = {}) => {
  const evidence = evidenceOf(planted)
  plant(evidence)
  return checkInvariants(evidence).differences
}

describe('the invariant checker', () => {
  test('a consistent world has no differences, and is counted', () => {
    const report = checkInvariants(evidenceOf())
    assert.deepEqual(report.differences, [])
    assert.deepEqual(report.counts, { accounts: 2, tasks: 2, assignments: 4, completions: 1, entries: 6, payouts: 1, closedDays: 1, cents: 10000 })
  })

  test('the same events republished (same ids, same data) change nothing', () => {
    assert.deepEqual(
      differencesAfter((e) => {
        e.tasks.push(...e.tasks.slice(0, 3))
        e.billing.push(...e.billing.slice(0, 4))
        e.analytics.push(...e.analytics)
      }),
      [],
    )
  })

  test("the streams are judged by the audit's rules: a fee missing is one difference, as the audit names it", () => {
    const found = differencesAfter(() => undefined, { feeMissing: true })
    assert.equal(found.length, 1, found.join('\n'))
    assert.match(found[0]!, /^fee_missing: assignment 00000000 of task 00000000 by 00000000 has no fee$/)
  })

  test('a balance that is not the sum of its ledger', () => {
    const found = differencesAfter((e) => (e.balances.find((b) => b.account_id === PIP)!.balance = -2400))
    assert.deepEqual(found, [`account ${PIP.slice(0, 8)}: billing shows -2400 cents, its ledger sums to -2500`])
  })

  test("analytics' API and billing's disagreeing on a day", () => {
    const found = differencesAfter((e) => {
      e.analyticsDays[0]!.management_earnings = 600
      e.analyticsToday.accounts_negative = 1
    })
    assert.deepEqual(found, ['analytics counts 1 accounts below zero, billing 2', `${DAY1}: analytics's API shows management earnings of 600 cents, the ledger 500`])
  })

  test('an event id reused for other data, and a task answered 201 that never made it to the stream', () => {
    const found = differencesAfter((e) => {
      const first = e.tasks.find((t) => t.event_name === 'tasks.assigned') as Envelope<'tasks.assigned'>
      e.tasks.push({ ...first, data: { ...first.data, previous_assignee_id: KESHA } })
      e.acknowledged = { created: [T1, T2, '00000000-0000-4000-8000-000000000077'], completed: [T1, T2] }
    })
    assert.deepEqual(found, [
      'tasks.assigned 00000000 appears twice in its stream with different data',
      'task 00000000 was answered 201 but its events are missing',
      'task 00000000 was answered completed but tasks.completed is missing',
    ])
  })

  test('the audit worker reporting a difference, or findings pending in a quiet system', () => {
    const found = differencesAfter((e) => {
      e.audit = { total: 1, pending: 2, differences: [{ kind: 'fee_missing', message: 'assignment 1234abcd of task … has no fee' }] }
    })
    assert.deepEqual(found, ['the audit worker reports fee_missing: assignment 1234abcd of task … has no fee', 'the audit worker has 2 findings pending in a quiet system'])
  })
})
