// billing's decisions, given events / when a command / then events.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { managementEarnings } from '../../contracts/money.ts'
import { deciderSpecification } from '../runtime/testing/decider.ts'
import { seededRandom } from '../runtime/testing/helpers.ts'
import { type BillingEvent, type BillingState, type Command, decide, drawDollars, earned, evolve, FEE, ids, initialState, maySeeAccount, payouts, viewOf } from './domain.ts'
import { nextDay } from '../runtime/days.ts'

const DAY = '2026-11-23'
const NOW = '2026-11-23T10:00:00.000Z'
const [PIP, KESHA, TASK] = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001']
const ASSIGNED = 'c0000000-0000-4000-8000-000000000001'
const COMPLETED = 'c0000000-0000-4000-8000-000000000002'

/** Billing's clock on DAY (or `today`); the lowest price: every draw of random() = 0 gives $10 and $20. */
const spec = (random: () => number = () => 0, today = DAY) =>
  deciderSpecification<Command, BillingState, BillingEvent>({
    initialState,
    evolve,
    decide: (command, state) => decide(command, viewOf(state), { random, now: NOW, today, timeZone: 'UTC' }),
  })

const opened = (day: string, reason: 'first_day' | 'calendar' | 'early_close' = 'first_day'): BillingEvent => ({
  name: 'billing.day_opened',
  data: { business_day: day, time_zone: 'UTC', reason, opened_at: NOW },
  id: ids.opened(day),
})
const OPEN = opened(DAY)
const closedEvent = (day: string, summary: Partial<{ accounts_paid: number; total_paid: number; management_earnings: number; accounts_negative: number }> = {}): BillingEvent => ({
  name: 'billing.day_closed',
  data: { business_day: day, accounts_paid: 0, total_paid: 0, management_earnings: 0, accounts_negative: 0, ...summary },
  id: ids.closed(day),
})
const REQUEST = 'd0000000-0000-4000-8000-000000000001'
const close = (day: string): Command => ({ kind: 'close', business_day: day, request_event_id: REQUEST })
const refused = (day: string, reason: 'already_closed' | 'not_begun', open: string): BillingEvent => ({
  name: 'billing.day_close_refused',
  data: { business_day: day, reason, open_day: open, request_event_id: REQUEST },
  id: ids.refused(REQUEST),
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

  test('given an open day, when a task appears, then it is priced once; given its price, nothing more', () => {
    spec().given(OPEN).when({ kind: 'price', task_id: TASK }).then([priced(1000, 2000)])
    spec().given(OPEN, priced(1500, 3000)).when({ kind: 'price', task_id: TASK }).then([])
  })
})

describe('charges', () => {
  test('given an unpriced task, when it is assigned, then it is priced and the fee debited on the open day', () => {
    spec().given(OPEN).when(assign(PIP)).then([priced(1000, 2000), entry('assign_fee', ids.fee(ASSIGNED), PIP, 1000, 0, -1000)])
  })

  test('given a priced task, when it is assigned again and completed, then the fee and the reward at its price', () => {
    const fee = entry('assign_fee', ids.fee(ASSIGNED), PIP, 1500, 0, -1500)
    spec().given(OPEN, priced(1500, 3000), fee).when(assign(KESHA, 'c0000000-0000-4000-8000-000000000009')).then([entry('assign_fee', ids.fee('c0000000-0000-4000-8000-000000000009'), KESHA, 1500, 0, -1500)])
    spec().given(OPEN, priced(1500, 3000), fee).when(complete(PIP)).then([entry('completion_reward', ids.reward(COMPLETED), PIP, 0, 3000, 1500)])
  })

  test('given a fee applied, when its assignment is handled again, then nothing', () => {
    spec().given(OPEN, priced(1500, 3000), entry('assign_fee', ids.fee(ASSIGNED), PIP, 1500, 0, -1500)).when(assign(PIP)).then([])
  })

  test('a drawn price stays within its ranges', () => {
    spec(seededRandom(3))
      .given(OPEN)
      .when(assign(PIP))
      .thenCheck(([price]) => {
        const data = (price as BillingEvent & { name: 'billing.task_priced' }).data
        assert.ok(data.assign_fee >= 1000 && data.assign_fee <= 2000 && data.assign_fee % 100 === 0)
        assert.ok(data.completion_reward >= 2000 && data.completion_reward <= 4000 && data.completion_reward % 100 === 0)
      })
  })
})

describe('the calendar (SPEC §2)', () => {
  test("given nothing, when billing's clock first runs, then its first day opens; given it, nothing", () => {
    spec().given().when({ kind: 'roll' }).then([OPEN])
    spec().given(OPEN).when({ kind: 'roll' }).then([])
  })

  test('given yesterday open, when the clock has passed midnight, then today opens and entries are stamped with it', () => {
    const tomorrow = nextDay(DAY)
    spec(() => 0, tomorrow).given(OPEN).when({ kind: 'roll' }).then([opened(tomorrow, 'calendar')])
    spec(() => 0, tomorrow)
      .given(OPEN, priced(1000, 2000))
      .when(assign(PIP))
      .thenCheck(([first, fee]) => {
        assert.deepEqual(first, opened(tomorrow, 'calendar'))
        assert.equal((fee as BillingEvent & { name: 'billing.transaction_applied' }).data.business_day, tomorrow, 'never a day before the calendar day')
      })
  })

  test('given a day closed early, then entries until midnight belong to the next day', () => {
    const early = [OPEN, closedEvent(DAY), opened(nextDay(DAY), 'early_close')]
    spec()
      .given(...early, priced(1000, 2000))
      .when(assign(PIP))
      .then([{ ...entry('assign_fee', ids.fee(ASSIGNED), PIP, 1000, 0, -1000), data: { ...entry('assign_fee', ids.fee(ASSIGNED), PIP, 1000, 0, -1000).data, business_day: nextDay(DAY) } } as BillingEvent])
    // Midnight finds the next day open already: nothing opens.
    spec(() => 0, nextDay(DAY)).given(...early).when({ kind: 'roll' }).then([])
  })
})

describe('closing a day', () => {
  const history = [
    OPEN,
    priced(1000, 4000),
    entry('assign_fee', ids.fee(ASSIGNED), PIP, 1000, 0, -1000),
    entry('completion_reward', ids.reward(COMPLETED), PIP, 0, 4000, 3000),
    entry('assign_fee', ids.fee('c0000000-0000-4000-8000-000000000003'), KESHA, 1000, 0, -1000),
  ]
  const payout = ids.payout(DAY, PIP)
  const paid: BillingEvent[] = [
    entry('payout', payout, PIP, 3000, 0, 0, null),
    { name: 'billing.payout_made', data: { account_id: PIP, business_day: DAY, amount: 3000, transaction_id: payout }, id: ids.paid(payout) },
    closedEvent(DAY, { accounts_paid: 1, total_paid: 3000, management_earnings: 2000 - 4000, accounts_negative: 1 }),
  ]

  test('given the open day, when it is closed before it ends, then positive balances are paid in full and the next day opens', () => {
    spec().given(...history).when(close(DAY)).then([...paid, opened(nextDay(DAY), 'early_close')])
  })

  test('given the day ended, when the schedule closes it after midnight, then the calendar opens today and the ended day closes', () => {
    spec(() => 0, nextDay(DAY)).given(...history).when(close(DAY)).then([opened(nextDay(DAY), 'calendar'), ...paid])
  })

  test('given three ended days, when the last is asked for, then each closes in order, once; the first pays', () => {
    const [d1, d2, d3] = [DAY, nextDay(DAY), nextDay(nextDay(DAY))]
    spec(() => 0, nextDay(d3))
      .given(...history)
      .when(close(d3))
      .then([opened(nextDay(d3), 'calendar'), ...paid, closedEvent(d2, { accounts_negative: 1 }), closedEvent(d3, { accounts_negative: 1 })])
  })

  test('every request is answered: a day closed already, or not begun by billing\'s clock, is refused with the open day', () => {
    const early = [OPEN, closedEvent(DAY), opened(nextDay(DAY), 'early_close')]
    spec().given(...early).when(close(DAY)).then([refused(DAY, 'already_closed', nextDay(DAY))])
    spec().given(...early).when(close(nextDay(DAY))).then([refused(nextDay(DAY), 'not_begun', nextDay(DAY))])
    spec().given(OPEN).when(close('2026-11-20')).then([refused('2026-11-20', 'already_closed', DAY)])
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
