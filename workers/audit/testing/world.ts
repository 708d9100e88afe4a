// A small world as the streams would hold it, built the way the workers would have written it
// (balances, close summaries and analytics' figures follow from the entries), with one thing
// planted wrong when asked. The audit's tests and the fault suite's checker test use it.
//
// Day 1 (2026-11-23): T1 (fee $10, reward $30) assigned to Pip, reassigned to Kesha, completed
// by Kesha; T2 (fee $15) assigned to Pip. The close pays Kesha $20; Pip stays at −$25.
// Day 2 (2026-11-24): T2 reassigned to Kesha.
import { derivedIds as ids } from '../../../contracts/derived-ids.ts'
import { type Envelope, makeEnvelope } from '../../../contracts/envelope.ts'
import type { EventData, EventName } from '../../../contracts/registry.ts'
import { producerOf } from '../../runtime/testing/streams.ts'

export const PIP = '00000000-0000-4000-8000-00000000000a'
export const KESHA = '00000000-0000-4000-8000-00000000000b'
export const T1 = '00000000-0000-4000-8000-0000000000f1'
export const T2 = '00000000-0000-4000-8000-0000000000f2'
/** A task nobody ever created or assigned. */
export const T3 = '00000000-0000-4000-8000-0000000000f3'
export const DAY1 = '2026-11-23'
export const DAY2 = '2026-11-24'

/** What may be planted wrong: each the way a broken billing, close or analytics would write it. */
export type Plant = {
  /** Pip's first assignment is charged a second time, under a transaction of its own. */
  feeTwice?: boolean
  /** Pip's assignment of T2 is never charged. */
  feeMissing?: boolean
  /** Pip's first assignment is charged this many cents instead of T1's price. */
  wrongFee?: number
  /** Kesha's payout is this many cents short of the balance, which stays at that. */
  payoutShortBy?: number
  /** Day 1's payouts are made, but the day is never reported closed (nor are analytics' figures published). */
  neverClosed?: boolean
  /** Analytics shows these management earnings for day 1. */
  analyticsEarnings?: number
  /** A fee on Kesha for T3, a task never assigned. */
  feeNeverAssigned?: boolean
  /** Kesha's completion of T1 is never rewarded. */
  rewardMissing?: boolean
  /** Pip's fee for T2 says the balance became this, whatever it was. */
  wrongBalanceAfter?: number
  /** Analytics publishes no figures for day 1. */
  analyticsSilent?: boolean
}

export type World = { tasks: Envelope[]; billing: Envelope[]; analytics: Envelope[] }

const at = (day: string, second: number) => `${day}T10:00:${String(second).padStart(2, '0')}.000Z`

export function world(plant: Plant = {}): World {
  const streams: World = { tasks: [], billing: [], analytics: [] }
  let n = 0
  const emit = <N extends EventName>(name: N, data: EventData<N>, time: string, eventId = `00000000-0000-4000-8000-${String((n += 1)).padStart(12, '0')}`): Envelope<N> => {
    const { envelope } = makeEnvelope({ name, data, eventId, time: new Date(time), producer: producerOf(name) })
    const stream = name.startsWith('tasks.') ? streams.tasks : name.startsWith('analytics.') ? streams.analytics : streams.billing
    stream.push(envelope as Envelope)
    return envelope
  }
  const balances = new Map<string, number>()
  const earnings = new Map<string, number>()
  const prices = new Map<string, { assign_fee: number; completion_reward: number }>()
  const entry = (account: string, kind: 'assign_fee' | 'completion_reward' | 'payout', amount: number, task: string | null, day: string, time: string, transactionId: string, balanceAfter?: number) => {
    const [debit, credit] = kind === 'completion_reward' ? [0, amount] : [amount, 0]
    const balance = balanceAfter ?? (balances.get(account) ?? 0) + credit - debit
    balances.set(account, balance)
    if (kind !== 'payout') earnings.set(day, (earnings.get(day) ?? 0) + debit - credit)
    emit('billing.transaction_applied', { transaction_id: transactionId, account_id: account, kind, debit, credit, task_id: task, business_day: day, balance_after: balance, applied_at: time }, time, ids.applied(transactionId))
  }
  const price = (task: string, fee: number, reward: number, time: string) => {
    prices.set(task, { assign_fee: fee, completion_reward: reward })
    emit('billing.task_priced', { task_id: task, assign_fee: fee, completion_reward: reward }, time, ids.price(task))
  }
  const assign = (task: string, account: string, previous: string | null, day: string, second: number, charge: { amount?: number; skip?: boolean; balanceAfter?: number } = {}) => {
    const time = at(day, second)
    const assigned = emit('tasks.assigned', { task_id: task, assignee_id: account, previous_assignee_id: previous, assigned_at: time }, time)
    if (!charge.skip) entry(account, 'assign_fee', charge.amount ?? prices.get(task)!.assign_fee, task, day, time, ids.fee(assigned.event_id), charge.balanceAfter)
    return assigned
  }

  emit('tasks.created', { task_id: T1, title: 'Clean', jira_id: null, description: '', assignee_id: PIP, created_at: at(DAY1, 1) }, at(DAY1, 1))
  price(T1, 1000, 3000, at(DAY1, 1))
  assign(T1, PIP, null, DAY1, 1, { amount: plant.wrongFee })
  if (plant.feeTwice) entry(PIP, 'assign_fee', 1000, T1, DAY1, at(DAY1, 1), '00000000-0000-4000-8000-0000000000ee')
  emit('tasks.created', { task_id: T2, title: 'Feed', jira_id: 'UBERPOP-1', description: '', assignee_id: PIP, created_at: at(DAY1, 2) }, at(DAY1, 2))
  price(T2, 1500, 2500, at(DAY1, 2))
  assign(T2, PIP, null, DAY1, 2, { skip: plant.feeMissing ?? false, balanceAfter: plant.wrongBalanceAfter })
  if (plant.feeNeverAssigned) entry(KESHA, 'assign_fee', 1500, T3, DAY1, at(DAY1, 2), '00000000-0000-4000-8000-0000000000ef')
  assign(T1, KESHA, PIP, DAY1, 3)
  const done = emit('tasks.completed', { task_id: T1, assignee_id: KESHA, completed_at: at(DAY1, 4) }, at(DAY1, 4))
  if (!plant.rewardMissing) entry(KESHA, 'completion_reward', 3000, T1, DAY1, at(DAY1, 4), ids.reward(done.event_id))

  // The close of day 1: every positive balance paid out, as billing does, at one moment.
  const closing = at(DAY1, 30)
  let paid = 0
  let total = 0
  for (const [account, balance] of [...balances].sort()) {
    if (balance <= 0) continue
    const short = account === KESHA ? (plant.payoutShortBy ?? 0) : 0
    const payout = ids.payout(DAY1, account)
    entry(account, 'payout', balance - short, null, DAY1, closing, payout, short)
    emit('billing.payout_made', { account_id: account, business_day: DAY1, amount: balance - short, transaction_id: payout }, closing, ids.paid(payout))
    paid += 1
    total += balance - short
  }
  const negative = [...balances.values()].filter((b) => b < 0).length
  const earned = earnings.get(DAY1) ?? 0
  if (!plant.neverClosed) {
    const closed = emit('billing.day_closed', { business_day: DAY1, accounts_paid: paid, total_paid: total, management_earnings: earned, accounts_negative: negative }, closing, ids.closed(DAY1))
    if (!plant.analyticsSilent) emit('analytics.day_figures', { business_day: DAY1, management_earnings: plant.analyticsEarnings ?? earned, accounts_negative: negative }, at(DAY1, 31), ids.dayFigures(closed.event_id))
  }
  assign(T2, KESHA, PIP, DAY2, 9)
  return streams
}

/** Every ledger entry of a world, in stream order. */
export function entriesOf(w: World): Array<EventData<'billing.transaction_applied'>> {
  return w.billing.flatMap((e) => (e.event_name === 'billing.transaction_applied' ? [(e as Envelope<'billing.transaction_applied'>).data] : []))
}
