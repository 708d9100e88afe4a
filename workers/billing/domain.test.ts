// billing's decisions, given events / when a command / then events.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { managementEarnings } from '../../contracts/money.ts'
import { deciderSpecification } from '../runtime/testing/decider.ts'
import { seededRandom } from '../runtime/testing/helpers.ts'
import { type BillingEvent, type BillingState, type Command, decide, drawDollars, earned, evolve, FEE, ids, initialState, maySeeAccount, payouts, viewOf } from './domain.ts'

const DAY = '2026-11-23'
const NOW = '2026-11-23T10:00:00.000Z'
const [PIP, KESHA, TASK] = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001']
const ASSIGNED = 'c0000000-0000-4000-8000-000000000001'
const COMPLETED = 'c0000000-0000-4000-8000-000000000002'

/** The lowest price: every draw of random() = 0 gives $10 and $20. */
const spec = (random: () => number = () => 0) =>
  deciderSpecification<Command, BillingState, BillingEvent>({
    initialState: () => initialState(DAY),
    evolve,
    decide: (command, state) => decide(command, viewOf(state), { random, now: NOW }),
  })

const priced = (fee: number, reward: number): BillingEvent => ({ name: 'billing.task_priced', data: { task_id: TASK, assign_fee: fee, completion_reward: reward }, id: ids.price(TASK) })
const entry = (kind: 'assign_fee' | 'completion_reward' | 'payout', transactionId: string, account: string, debit: number, credit: number, after: number, task: string | null = TASK): BillingEvent => ({
  name: 'billing.transaction_applied',
  data: { transaction_id: transactionId, account_id: account, kind, debit, credit, task_id: task, business_day: DAY, balance_after: after, applied_at: NOW },
  id: ids.applied(transactionId),
})
const assign = (account: string, cause = ASSIGNED): Command => ({ kind: 'charge', charge: 'assign_fee', cause_id: cause, account_id: account, task_id: TASK })
const complete = (account: string, cause = COMPLETED): Command => ({ kind: 'charge', charge: 'completion_reward', cause_id: cause, account_id: account, task_id: TASK })

describe('prices', () => {
  test('fees are whole dollars from $10 to $20, each as likely', () => {
    const random = seededRandom(7)
    const seen = new Map<number, number>()
    for (let i = 0; i < 22_000; i++) {
      const cents = drawDollars(FEE, random)
      seen.set(cents, (seen.get(cents) ?? 0) + 1)
    }
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: 11 }, (_, i) => 1000 + i * 100))
    for (const n of seen.values()) assert.ok(n > 1700 && n < 2300, `count ${n}`)
    assert.equal(drawDollars(FEE, () => 0.99999999), 2000)
  })

  test('given nothing, when a task appears, then it is priced once; given its price, nothing more', () => {
    spec().given().when({ kind: 'price', task_id: TASK }).then([priced(1000, 2000)])
    spec().given(priced(1500, 3000)).when({ kind: 'price', task_id: TASK }).then([])
  })
})

describe('charges', () => {
  test('given an unpriced task, when it is assigned, then it is priced and the fee debited on the open day', () => {
    spec().given().when(assign(PIP)).then([priced(1000, 2000), entry('assign_fee', ids.fee(ASSIGNED), PIP, 1000, 0, -1000)])
  })

  test('given a priced task, when it is assigned again and completed, then the fee and the reward at its price', () => {
    const fee = entry('assign_fee', ids.fee(ASSIGNED), PIP, 1500, 0, -1500)
    spec().given(priced(1500, 3000), fee).when(assign(KESHA, 'c0000000-0000-4000-8000-000000000009')).then([entry('assign_fee', ids.fee('c0000000-0000-4000-8000-000000000009'), KESHA, 1500, 0, -1500)])
    spec().given(priced(1500, 3000), fee).when(complete(PIP)).then([entry('completion_reward', ids.reward(COMPLETED), PIP, 0, 3000, 1500)])
  })

  test('given a fee applied, when its assignment is handled again, then nothing', () => {
    spec().given(priced(1500, 3000), entry('assign_fee', ids.fee(ASSIGNED), PIP, 1500, 0, -1500)).when(assign(PIP)).then([])
  })

  test('a drawn price stays within its ranges', () => {
    spec(seededRandom(3))
      .given()
      .when(assign(PIP))
      .thenCheck(([price]) => {
        const data = (price as BillingEvent & { name: 'billing.task_priced' }).data
        assert.ok(data.assign_fee >= 1000 && data.assign_fee <= 2000 && data.assign_fee % 100 === 0)
        assert.ok(data.completion_reward >= 2000 && data.completion_reward <= 4000 && data.completion_reward % 100 === 0)
      })
  })
})

describe('closing a day', () => {
  const history = [
    priced(1000, 4000),
    entry('assign_fee', ids.fee(ASSIGNED), PIP, 1000, 0, -1000),
    entry('completion_reward', ids.reward(COMPLETED), PIP, 0, 4000, 3000),
    entry('assign_fee', ids.fee('c0000000-0000-4000-8000-000000000003'), KESHA, 1000, 0, -1000),
  ]

  test('given a positive and a negative balance, when the open day is closed, then the positive one is paid out in full', () => {
    const payout = ids.payout(DAY, PIP)
    spec()
      .given(...history)
      .when({ kind: 'close', business_day: DAY })
      .then([
        entry('payout', payout, PIP, 3000, 0, 0, null),
        { name: 'billing.payout_made', data: { account_id: PIP, business_day: DAY, amount: 3000, transaction_id: payout }, id: ids.paid(payout) },
        { name: 'billing.day_closed', data: { business_day: DAY, accounts_paid: 1, total_paid: 3000, management_earnings: 2000 - 4000, accounts_negative: 1 }, id: ids.closed(DAY) },
      ])
  })

  test('given the day closed, when it is asked for again, then nothing; the next day is open', () => {
    const closed: BillingEvent = { name: 'billing.day_closed', data: { business_day: DAY, accounts_paid: 0, total_paid: 0, management_earnings: 0, accounts_negative: 0 }, id: ids.closed(DAY) }
    spec().given(closed).when({ kind: 'close', business_day: DAY }).then([])
    spec().given(closed).thenState((state) => assert.equal(state.openDay, '2026-11-24'))
  })

  test('payouts: every positive balance in full, zero and negative ones stay', () => {
    assert.deepEqual(payouts([{ account_id: 'a', balance: 500 }, { account_id: 'b', balance: 0 }, { account_id: 'c', balance: -300 }]), [{ account_id: 'a', amount: 500 }])
  })
})

describe('reading', () => {
  test('earnings: fees minus rewards for management, credits minus debits without payouts for an account', () => {
    const entries = [
      { kind: 'assign_fee' as const, debit: 1500, credit: 0 },
      { kind: 'completion_reward' as const, debit: 0, credit: 3000 },
      { kind: 'payout' as const, debit: 900, credit: 0 },
    ]
    assert.equal(managementEarnings({ fees: 1500, rewards: 3000 }), -1500)
    assert.equal(earned(entries), 1500)
  })

  test('admins and accountants see every account, everybody else only their own', () => {
    assert.equal(maySeeAccount({ id: PIP, role: 'popug' }, PIP), true)
    assert.equal(maySeeAccount({ id: PIP, role: 'popug' }, KESHA), false)
    assert.equal(maySeeAccount({ id: PIP, role: 'manager' }, KESHA), false)
    assert.equal(maySeeAccount({ id: PIP, role: 'accountant' }, KESHA), true)
    assert.equal(maySeeAccount({ id: PIP, role: 'admin' }, KESHA), true)
  })
})
