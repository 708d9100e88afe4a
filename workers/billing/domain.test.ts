import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import { makeEnvelope } from '../../contracts/envelope.ts'
import type { Envelope } from '../../contracts/envelope.ts'
import type { EventName } from '../../contracts/registry.ts'
import { nextDay } from '../runtime/days.ts'
import { silentLogger } from '../runtime/log.ts'
import { Outbox } from '../runtime/outbox.ts'
import { openStore, type Store } from '../runtime/store.ts'
import type { WorkerContext } from '../runtime/worker.ts'
import { closeDecision, drawDollars, earned, FEE, managementEarnings, payouts } from './domain.ts'
import { Ledger } from './ledger.ts'
import { type DB, migrations } from './store.ts'

function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('prices', () => {
  test('fees are whole dollars from $10 to $20, each as likely', () => {
    const random = mulberry32(7)
    const seen = new Map<number, number>()
    for (let i = 0; i < 22_000; i++) {
      const cents = drawDollars(FEE, random)
      seen.set(cents, (seen.get(cents) ?? 0) + 1)
    }
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), Array.from({ length: 11 }, (_, i) => 1000 + i * 100))
    for (const n of seen.values()) assert.ok(n > 1700 && n < 2300, `count ${n}`)
    assert.equal(drawDollars(FEE, () => 0.99999999), 2000)
  })
})

describe('business day', () => {
  test('given open day D, a request for an earlier day is a no-op, for D or later closes D', () => {
    assert.deepEqual(closeDecision('2026-11-22', '2026-11-23'), { close: false })
    assert.deepEqual(closeDecision('2026-11-23', '2026-11-23'), { close: true, day: '2026-11-23', next: '2026-11-24' })
    assert.deepEqual(closeDecision('2026-11-25', '2026-11-23'), { close: true, day: '2026-11-23', next: '2026-11-24' })
    assert.equal(nextDay('2026-12-31'), '2027-01-01')
    assert.equal(nextDay('2028-02-28'), '2028-02-29')
  })
  test('a close pays positive balances in full and leaves the others', () => {
    assert.deepEqual(payouts([{ account_id: 'a', balance: 500 }, { account_id: 'b', balance: 0 }, { account_id: 'c', balance: -300 }]), [{ account_id: 'a', amount: 500 }])
  })
  test('earnings: fees minus rewards for management, credits minus debits without payouts for an account', () => {
    const entries = [
      { kind: 'assign_fee' as const, debit: 1500, credit: 0 },
      { kind: 'completion_reward' as const, debit: 0, credit: 3000 },
      { kind: 'payout' as const, debit: 900, credit: 0 },
    ]
    assert.equal(managementEarnings(entries), -1500)
    assert.equal(earned(entries), 1500)
  })
})

/** The ledger on a real (in-memory) SQLite, fed random event sequences with duplicates and reorderings. */
describe('ledger invariants over random event sequences', () => {
  test('balance = Σcredit − Σdebit; one fee per assignment at the task price; one reward per completion; payouts = positive balances', () => {
    const random = mulberry32(2026)
    const sequences = 1500
    let eventsChecked = 0
    for (let run = 0; run < sequences; run++) {
      const store = openStore<DB>(':memory:', migrations)
      let clock = Date.parse('2026-11-23T09:00:00Z')
      const now = () => new Date((clock += 1000))
      const outbox = new Outbox(store as Store<unknown>, 'billing', now, randomUUID)
      const ctx = { store, outbox, now, newId: randomUUID, log: silentLogger, config: { tz: 'UTC' } } as unknown as WorkerContext<DB>
      const ledger = new Ledger(ctx, random)
      store.prepare("INSERT INTO days (business_day, status) VALUES ('2026-11-23', 'open')").run()
      const handlers = ledger.handlers()
      const handle = (e: Envelope) => {
        const h = { ...handlers.tasks, ...handlers.accounts, ...handlers.closes } as Record<string, (event: Envelope) => void>
        store.tx(() => h[e.event_name]!(e))
      }

      const people = Array.from({ length: 1 + Math.floor(random() * 4) }, () => randomUUID())
      const tasks = Array.from({ length: 1 + Math.floor(random() * 5) }, () => randomUUID())
      const events: Envelope[] = []
      const event = <N extends EventName>(name: N, data: Envelope<N>['data']) =>
        events.push(makeEnvelope({ name, data, eventId: randomUUID(), time: new Date(), producer: 'tasks' }).envelope as Envelope)
      const pick = <T,>(xs: T[]) => xs[Math.floor(random() * xs.length)]!
      for (const task of tasks) {
        const first = pick(people)
        event('tasks.created', { task_id: task, title: 't', jira_id: null, description: '', assignee_id: first, created_at: new Date().toISOString() })
        event('tasks.assigned', { task_id: task, assignee_id: first, previous_assignee_id: null, assigned_at: new Date().toISOString() })
        for (let r = Math.floor(random() * 3); r > 0; r--) event('tasks.assigned', { task_id: task, assignee_id: pick(people), previous_assignee_id: first, assigned_at: new Date().toISOString() })
        if (random() < 0.6) event('tasks.completed', { task_id: task, assignee_id: pick(people), completed_at: new Date().toISOString() })
      }
      // Deliver out of order, some twice (the runtime's inbox would drop these; the ledger
      // must not double them either, since transaction ids come from event ids).
      const delivered = [...events, ...events.filter(() => random() < 0.3)]
      for (let i = delivered.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1))
        ;[delivered[i], delivered[j]] = [delivered[j]!, delivered[i]!]
      }
      for (const e of delivered) handle(e)
      eventsChecked += delivered.length

      const entries = store.prepare('SELECT * FROM entries ORDER BY seq').all() as Array<{ account_id: string; kind: string; debit: number; credit: number; task_id: string; balance_after: number }>
      const price = new Map((store.prepare('SELECT task_id, assign_fee, completion_reward FROM tasks').all() as Array<{ task_id: string; assign_fee: number; completion_reward: number }>).map((p) => [p.task_id, p]))
      const assigned = events.filter((e) => e.event_name === 'tasks.assigned') as Array<Envelope<'tasks.assigned'>>
      const completed = events.filter((e) => e.event_name === 'tasks.completed') as Array<Envelope<'tasks.completed'>>
      const fees = entries.filter((e) => e.kind === 'assign_fee')
      assert.equal(fees.length, assigned.length, 'one fee per assignment')
      assert.equal(fees.reduce((s, e) => s + e.debit, 0), assigned.reduce((s, e) => s + price.get(e.data.task_id)!.assign_fee, 0))
      const rewards = entries.filter((e) => e.kind === 'completion_reward')
      assert.equal(rewards.length, completed.length, 'one reward per completion')
      assert.ok(rewards.every((e) => e.credit === price.get(e.task_id)!.completion_reward))
      const running = new Map<string, number>()
      for (const e of entries) {
        running.set(e.account_id, (running.get(e.account_id) ?? 0) + e.credit - e.debit)
        assert.equal(e.balance_after, running.get(e.account_id), 'balance_after is the running sum')
      }
      const balances = new Map((store.prepare('SELECT account_id, balance FROM balances').all() as Array<{ account_id: string; balance: number }>).map((b) => [b.account_id, b.balance]))
      assert.deepEqual(balances, running)

      const positive = [...balances.values()].filter((b) => b > 0).reduce((s, b) => s + b, 0)
      handle(makeEnvelope({ name: 'billing.day_close_requested', data: { business_day: '2026-11-23' }, eventId: randomUUID(), time: new Date(), producer: 'close' }).envelope as Envelope)
      handle(makeEnvelope({ name: 'billing.day_close_requested', data: { business_day: '2026-11-23' }, eventId: randomUUID(), time: new Date(), producer: 'close' }).envelope as Envelope)
      const paid = store.prepare("SELECT coalesce(sum(debit), 0) FROM entries WHERE kind = 'payout'").pluck().get() as number
      assert.equal(paid, positive, 'payouts equal the positive balances, once')
      assert.equal(store.prepare('SELECT count(*) FROM balances WHERE balance > 0').pluck().get(), 0)
      const emitted = store.prepare("SELECT count(*) FROM outbox WHERE subject LIKE 'billing.transaction_applied%'").pluck().get()
      assert.equal(emitted, store.prepare('SELECT count(*) FROM entries').pluck().get(), 'every entry is reported')
      store.close()
    }
    assert.ok(eventsChecked > 10_000, `${eventsChecked} events`)
  })
})
