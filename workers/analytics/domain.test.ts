// analytics' rules, given billing's events / when a question / then the answer.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type DayAmounts, managementEarnings } from '../../contracts/money.ts'
import type { EventData } from '../../contracts/registry.ts'
import { deciderSpecification } from '../runtime/testing/decider.ts'
import { entryEffect, openDayOf, periodOf } from './domain.ts'

type Entry = EventData<'billing.transaction_applied'>
type Closed = EventData<'billing.day_closed'>
type Event = { name: 'billing.transaction_applied'; data: Entry } | { name: 'billing.day_closed'; data: Closed }

/** The read models as the handlers keep them, in memory. */
type Model = { balances: Map<string, number>; amounts: Map<string, DayAmounts>; completions: Array<{ task_id: string; reward: number }>; lastClosed?: string }

const TODAY = '2026-11-25'
const spec = deciderSpecification<'today', Model, Event, { business_day: string; management_earnings: number; accounts_negative: number }>({
  initialState: () => ({ balances: new Map(), amounts: new Map(), completions: [] }),
  evolve: (model, event) => {
    if (event.name === 'billing.day_closed') return { ...model, lastClosed: event.data.business_day }
    const effect = entryEffect(event.data)
    const before = model.amounts.get(effect.business_day) ?? { fees: 0, rewards: 0 }
    return {
      ...model,
      balances: new Map(model.balances).set(effect.account_id, (model.balances.get(effect.account_id) ?? 0) + effect.balance),
      amounts: new Map(model.amounts).set(effect.business_day, { fees: before.fees + effect.amounts.fees, rewards: before.rewards + effect.amounts.rewards }),
      completions: effect.completion ? [...model.completions, effect.completion] : model.completions,
    }
  },
  decide: (_question, model) => {
    const newest = [...model.amounts.keys()].sort().at(-1)
    const day = openDayOf({ lastClosed: model.lastClosed, newest }, TODAY)
    return {
      business_day: day,
      management_earnings: managementEarnings(model.amounts.get(day) ?? { fees: 0, rewards: 0 }),
      accounts_negative: [...model.balances.values()].filter((b) => b < 0).length,
    }
  },
})

const entry = (account: string, kind: Entry['kind'], debit: number, credit: number, day = '2026-11-23'): Event => ({
  name: 'billing.transaction_applied',
  data: { transaction_id: `t-${account}-${kind}-${day}`, account_id: account, kind, debit, credit, task_id: kind === 'payout' ? null : `task-${account}`, business_day: day, balance_after: 0, applied_at: `${day}T10:00:00.000Z` },
})
const closed = (day: string): Event => ({ name: 'billing.day_closed', data: { business_day: day, accounts_paid: 0, total_paid: 0, management_earnings: 0, accounts_negative: 0 } })

describe('today', () => {
  test('given nothing, then today by the clock, with nothing earned', () => {
    spec.given().when('today').then({ business_day: TODAY, management_earnings: 0, accounts_negative: 0 })
  })

  test('given fees, a reward and a payout on a day, then management earned the fees minus the reward; a payout moves no earnings', () => {
    spec
      .given(entry('pip', 'assign_fee', 1500, 0), entry('kesha', 'assign_fee', 1000, 0), entry('pip', 'completion_reward', 0, 4000), entry('pip', 'payout', 2500, 0))
      .when('today')
      .then({ business_day: '2026-11-23', management_earnings: 2500 - 4000, accounts_negative: 1 })
  })

  test('given the day closed, then the next day is open, whatever the clock says', () => {
    spec.given(entry('pip', 'assign_fee', 1500, 0), closed('2026-11-23')).when('today').then({ business_day: '2026-11-24', management_earnings: 0, accounts_negative: 1 })
  })

  test('given entries of a later day than the last close, then that day is open', () => {
    spec.given(closed('2026-11-23'), entry('pip', 'assign_fee', 1500, 0, '2026-11-25')).when('today').then({ business_day: '2026-11-25', management_earnings: 1500, accounts_negative: 1 })
  })

  test('a completion is known by its reward', () => {
    spec.given(entry('pip', 'completion_reward', 0, 3900)).thenState((model) => assert.deepEqual(model.completions, [{ task_id: 'task-pip', reward: 3900, applied_at: '2026-11-23T10:00:00.000Z' }]))
  })
})

describe('calendar periods', () => {
  test('ISO weeks run Monday to Sunday, across months and years; months are calendar months', () => {
    assert.deepEqual(periodOf('week', '2026-11-24'), { from: '2026-11-23', to: '2026-11-29' })
    assert.deepEqual(periodOf('week', '2026-11-29'), { from: '2026-11-23', to: '2026-11-29' })
    assert.deepEqual(periodOf('week', '2027-01-01'), { from: '2026-12-28', to: '2027-01-03' })
    assert.deepEqual(periodOf('month', '2028-02-10'), { from: '2028-02-01', to: '2028-02-29' })
    assert.deepEqual(periodOf('day', '2026-11-24'), { from: '2026-11-24', to: '2026-11-24' })
  })
})
