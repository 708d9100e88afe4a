// Business days over ~90 simulated days (SPEC §2): billing's and close's real handlers and
// commands on their own SQLite files, each on its own clock, events carried between them by
// the test; random start times around midnight, downtimes of minutes to days, early closes, and
// zones with and without summer time, far east and far west. ATES_CALENDAR_SEEDS sets how
// many seeds (default 200) and ATES_CALENDAR_DAYS how many days each (default 90).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEvent, type Envelope } from '../../contracts/envelope.ts'
import type { EventData } from '../../contracts/registry.ts'
import { accountHandlers, closeHandlers, handle, prepare as prepareBilling, taskHandlers } from '../billing/handlers.ts'
import { type DB as BillingDB, migrations as billingMigrations } from '../billing/store.ts'
import { applyBatch, type Handlers } from '../runtime/batch.ts'
import { addDays, dayIn, nextDay } from '../runtime/days.ts'
import { drainOutbox, testContext } from '../runtime/testing/context.ts'
import { seededRandom } from '../runtime/testing/helpers.ts'
import type { Ctx } from '../runtime/worker.ts'
import { askAgain, closeDue, closeNow, scheduleOf } from './commands.ts'
import { nextFiring } from './domain.ts'
import { calendarHandlers } from './handlers.ts'
import { type DB as CloseDB, migrations as closeMigrations, unanswered } from './store.ts'

const SEEDS = Number(process.env.ATES_CALENDAR_SEEDS ?? 200)
const DAYS = Number(process.env.ATES_CALENDAR_DAYS ?? 90)
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY_MS = 24 * HOUR
const PEOPLE = ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003']

type Worker<DB> = { ctx: Ctx<DB>; skew: number; up: boolean; inbox: Envelope[]; handlers: Handlers }

type Totals = { days: number; closes: number; earlyCloses: number; requests: number; entries: number; checks: number }

async function simulate(seed: number, totals: Totals): Promise<void> {
  const random = seededRandom(seed)
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!
  const zone = pick(ZONES)
  // True time starts within an hour either side of a midnight in the zone; each worker's clock is off by up to a minute.
  let time = Date.parse('2026-03-10T00:00:00Z') + Math.floor((random() - 0.5) * 2 * DAY_MS)
  const env = { ATES_TZ: zone }
  const billing: Worker<BillingDB> = { ctx: undefined as never, skew: Math.floor((random() - 0.5) * 2 * MINUTE), up: false, inbox: [], handlers: {} }
  const close: Worker<CloseDB> = { ctx: undefined as never, skew: Math.floor((random() - 0.5) * 2 * MINUTE), up: false, inbox: [], handlers: {} }
  billing.ctx = testContext<BillingDB>('billing', billingMigrations, { now: () => new Date(time + billing.skew), env })
  close.ctx = testContext<CloseDB>('close', closeMigrations, { now: () => new Date(time + close.skew), env })
  billing.handlers = { ...accountHandlers(billing.ctx), ...taskHandlers(billing.ctx, random), ...closeHandlers(billing.ctx, random) }
  close.handlers = Object.assign({}, ...calendarHandlers(close.ctx)) as Handlers
  const schedule = scheduleOf(close.ctx)
  const log: Envelope[] = []
  let nextFire = nextFiring(schedule, close.ctx.now())!
  const start = time
  const end = time + DAYS * DAY_MS

  const relay = () => {
    for (const event of drainOutbox(billing.ctx)) {
      log.push(event)
      close.inbox.push(event)
    }
    for (const event of drainOutbox(close.ctx)) {
      log.push(event)
      billing.inbox.push(event)
    }
  }
  const deliver = <DB,>(worker: Worker<DB>) => {
    if (!worker.up || worker.inbox.length === 0) return
    const batch = worker.inbox.splice(0)
    const deliveries = batch.map((event) => ({ decoded: decodeEvent(`${event.event_name}.v${event.event_version}`, JSON.stringify(event)), deliveries: 1 }))
    const outcomes = applyBatch(worker.ctx.store, deliveries, worker.handlers, { consumer: 'sim', maxDeliver: 100 })
    // What waits for something (a retry) goes back in line.
    outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'failed') worker.inbox.push(batch[i]!)
      assert.notEqual(outcome.kind, 'dead', `seed ${seed}: ${JSON.stringify(outcome)}`)
    })
  }
  const startBilling = async () => {
    billing.up = true
    await prepareBilling(billing.ctx, random)
  }
  const startClose = () => {
    close.up = true
    nextFire = nextFiring(schedule, close.ctx.now())!
  }
  const settle = () => {
    for (let i = 0; i < 6; i++) {
      deliver(billing)
      deliver(close)
      relay()
    }
  }

  await startBilling()
  if (random() < 0.5) time += Math.floor(random() * 30 * MINUTE) // close starts up to half an hour later
  startClose()
  const downUntil = { billing: 0, close: 0 }

  while (time < end) {
    time += Math.floor(10 * MINUTE + random() * 170 * MINUTE)
    // Downtimes: minutes to days, now and then.
    for (const [name, worker] of [['billing', billing], ['close', close]] as const) {
      if (worker.up && random() < 0.01) {
        worker.up = false
        downUntil[name] = time + Math.floor(random() < 0.5 ? random() * 3 * HOUR : random() * 4 * DAY_MS)
      } else if (!worker.up && time >= downUntil[name]) {
        if (name === 'billing') await startBilling()
        else startClose()
      }
    }
    // Work: a few assignments and completions, straight to billing's inbox.
    for (let n = Math.floor(random() * 4); n > 0; n--) {
      const task = `b${String(Math.floor(random() * 1e7)).padStart(7, '0')}-0000-4000-8000-000000000000`
      const who = pick(PEOPLE)
      const at = new Date(time).toISOString()
      const assigned = makeEvent('tasks.assigned', { task_id: task, assignee_id: who, previous_assignee_id: null, assigned_at: at }, time)
      billing.inbox.push(assigned)
      if (random() < 0.7) billing.inbox.push(makeEvent('tasks.completed', { task_id: task, assignee_id: who, completed_at: at }, time))
    }
    if (billing.up) billing.ctx.store.tx(() => handle(billing.ctx, random, { kind: 'roll' }))
    deliver(billing)
    relay()
    if (close.up) {
      while (close.ctx.now() >= nextFire) {
        closeDue(close.ctx, nextFire, 'schedule')
        nextFire = nextFiring(schedule, nextFire)!
      }
      deliver(close)
      closeDue(close.ctx, close.ctx.now(), 'catch_up')
      askAgain(close.ctx)
      if (random() < 0.03) closeNow(close.ctx, 'admin')
    }
    settle()
  }
  // Both up for a while at the end: everything ended is closed, everything asked is answered.
  time += Math.floor(random() * 2 * HOUR)
  if (!billing.up) await startBilling()
  if (!close.up) startClose()
  for (let i = 0; i < 3; i++) {
    time += 30 * MINUTE
    billing.ctx.store.tx(() => handle(billing.ctx, random, { kind: 'roll' }))
    settle()
    while (close.ctx.now() >= nextFire) {
      closeDue(close.ctx, nextFire, 'schedule')
      nextFire = nextFiring(schedule, nextFire)!
    }
    closeDue(close.ctx, close.ctx.now(), 'catch_up')
    askAgain(close.ctx)
    settle()
    settle()
  }
  // The days both clocks see ended.
  const clocks = new Date(Math.min(billing.ctx.now().getTime(), close.ctx.now().getTime()))
  check(seed, zone, log, start, time, addDays(dayIn(zone, clocks), -1), unanswered(close.ctx.store).length, totals)
  billing.ctx.store.close()
  close.ctx.store.close()
}

let counter = 0
function makeEvent<N extends 'tasks.assigned' | 'tasks.completed'>(name: N, data: EventData<N>, time: number): Envelope {
  counter += 1
  const id = `e${String(counter).padStart(7, '0')}-0000-4000-8000-000000000000`
  return { event_id: id, event_name: name, event_version: 1, event_time: new Date(time).toISOString(), producer: 'tasks', data } as Envelope
}

function check(seed: number, zone: string, log: Envelope[], start: number, end: number, lastEnded: string, stillWaiting: number, totals: Totals): void {
  const fail = (what: string) => `seed ${seed} (${zone}): ${what}`
  let checks = 0
  const of = <N extends Envelope['event_name']>(name: N) => log.filter((e) => e.event_name === name) as Array<Envelope<N>>
  const opened = of('billing.day_opened')
  const closed = of('billing.day_closed')
  const entries = of('billing.transaction_applied')
  const first = opened[0]!.data.business_day

  // Every ended calendar day is closed exactly once, in order, from billing's first day.
  const expected: string[] = []
  for (let day = first; day <= lastEnded; day = nextDay(day)) expected.push(day)
  const closedDays = closed.map((c) => c.data.business_day)
  assert.deepEqual(closedDays.slice(0, expected.length), expected, fail('every ended day closed once, in order'))
  for (let i = 1; i < closedDays.length; i++) assert.equal(closedDays[i], nextDay(closedDays[i - 1]!), fail('no day closed twice or skipped'))
  checks += closedDays.length + expected.length

  // Stamps: never a day before the calendar day of the entry; the next day only between an early
  // close and midnight. A payout belongs to the day its close pays out, whenever that close ran.
  const closedAt = new Map(closed.map((c) => [c.data.business_day, Date.parse(c.event_time)]))
  for (const entry of entries) {
    if (entry.data.kind === 'payout') {
      assert.ok(closedAt.has(entry.data.business_day), fail(`a payout of ${entry.data.business_day}, a day never closed`))
      continue
    }
    const calendarDay = dayIn(zone, new Date(entry.data.applied_at))
    assert.ok(entry.data.business_day >= calendarDay, fail(`entry of ${entry.data.applied_at} stamped ${entry.data.business_day}, before its calendar day ${calendarDay}`))
    if (entry.data.business_day > calendarDay) {
      assert.equal(entry.data.business_day, nextDay(calendarDay), fail(`entry of ${entry.data.applied_at} stamped two days ahead`))
      const early = closedAt.get(calendarDay)
      assert.ok(early !== undefined && early <= Date.parse(entry.data.applied_at), fail(`entry of ${entry.data.applied_at} stamped ${entry.data.business_day} without an early close of ${calendarDay} before it`))
    }
    checks += 1
  }

  // Every request answered: closed (that day or a later one) or refused.
  const refused = new Set(of('billing.day_close_refused').map((r) => r.data.request_event_id))
  const lastClosed = closedDays.at(-1) ?? ''
  for (const request of of('billing.day_close_requested')) {
    assert.ok(refused.has(request.event_id) || request.data.business_day <= lastClosed, fail(`request ${request.data.business_day} unanswered`))
    checks += 1
  }
  assert.equal(stillWaiting, 0, fail('close waits for no answer at the end'))

  // Payouts equal the positive balances at each close, and leave them at zero.
  const balances = new Map<string, number>()
  for (const event of log) {
    if (event.event_name === 'billing.transaction_applied') {
      const e = (event as Envelope<'billing.transaction_applied'>).data
      const before = balances.get(e.account_id) ?? 0
      if (e.kind === 'payout') {
        assert.equal(e.debit, before, fail('a payout is the whole positive balance'))
        assert.ok(before > 0, fail('only positive balances are paid'))
      }
      balances.set(e.account_id, before + e.credit - e.debit)
      assert.equal(e.balance_after, balances.get(e.account_id), fail('balance_after is the running sum'))
    } else if (event.event_name === 'billing.day_closed') {
      assert.ok([...balances.values()].every((b) => b <= 0), fail(`a positive balance left after the close of ${(event as Envelope<'billing.day_closed'>).data.business_day}`))
      checks += 1
    }
  }

  totals.days += Math.round((end - start) / DAY_MS)
  totals.closes += closed.length
  totals.earlyCloses += opened.filter((o) => o.data.reason === 'early_close').length
  totals.requests += of('billing.day_close_requested').length
  totals.entries += entries.length
  totals.checks += checks
}

test(`business days over ${DAYS} simulated days, ${SEEDS} seeds: every ended day closed once and in order, every entry on its day, every request answered, payouts = positive balances`, async (t) => {
  const totals: Totals = { days: 0, closes: 0, earlyCloses: 0, requests: 0, entries: 0, checks: 0 }
  const base = Number(process.env.ATES_CALENDAR_SEED ?? 20261125)
  for (let i = 0; i < SEEDS; i++) await simulate(base + i, totals)
  t.diagnostic(`${SEEDS} seeds: ${totals.days} days, ${totals.closes} closes (${totals.earlyCloses} early), ${totals.requests} requests, ${totals.entries} entries, ${totals.checks} checks`)
})
