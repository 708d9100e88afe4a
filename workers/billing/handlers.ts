// billing's handlers: an event becomes a command, the domain decides, and each decided event
// is applied to the store and written to the outbox, in the consumer's transaction. Before
// consuming anything, billing makes sure it has an open business day; with an empty database
// it first restores its own past decisions from the BILLING stream, so that replaying tasks.*
// afterwards recognises each effect by its derived id and the result is identical.
import type { Envelope } from '../../contracts/envelope.ts'
import type { Handlers } from '../runtime/consumer.ts'
import { dayIn } from '../runtime/days.ts'
import type { Ctx } from '../runtime/worker.ts'
import { type BillingEvent, type BillingView, type Command, dayAfterClose, decide, type Random } from './domain.ts'
import {
  allBalances,
  amountsOn,
  balanceOf,
  type DB,
  dropEntryIndexes,
  entryIndexes,
  firstEntryDay,
  insertEntry,
  insertPrice,
  isApplied,
  isEmpty,
  markClosed,
  openDay,
  openFirstDay,
  priceOf,
  saveAccount,
  saveTaskDetails,
  setBalance,
} from './store.ts'

/** Billing's state as the store holds it. */
function viewOf(ctx: Ctx<DB>): BillingView {
  const { store } = ctx
  const day = openDay(store)
  if (!day) throw new Error('no open business day')
  return {
    openDay: day,
    priceOf: (taskId) => priceOf(store, taskId),
    isApplied: (transactionId) => isApplied(store, transactionId),
    balanceOf: (accountId) => balanceOf(store, accountId),
    balances: () => allBalances(store),
    amountsOn: (d) => amountsOn(store, d),
  }
}

/** Writes a decided event's change to the store (the emitting is the caller's). */
function record(ctx: Ctx<DB>, event: BillingEvent, at: string): void {
  switch (event.name) {
    case 'billing.task_priced':
      return insertPrice(ctx.store, event.data)
    case 'billing.transaction_applied':
      insertEntry(ctx.store, event.data)
      return setBalance(ctx.store, event.data.account_id, event.data.balance_after)
    case 'billing.payout_made':
      return
    case 'billing.day_closed':
      return markClosed(ctx.store, event.data, at, dayAfterClose(event.data.business_day))
  }
}

/** Decides a command and applies what it decided: the store, then the outbox. */
function handle(ctx: Ctx<DB>, random: Random, command: Command): void {
  const now = ctx.now()
  const at = now.toISOString()
  for (const event of decide(command, viewOf(ctx), { random, now: at })) {
    record(ctx, event, at)
    ctx.outbox.emit(event.name, event.data as never, { eventId: event.id, time: now })
  }
}

export function accountHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'accounts.created': (e) => saveAccount(ctx.store, e.data, e.event_time),
    'accounts.updated': (e) => saveAccount(ctx.store, e.data, e.event_time),
  }
}

export function taskHandlers(ctx: Ctx<DB>, random: Random): Handlers {
  return {
    'tasks.created': (e) => {
      handle(ctx, random, { kind: 'price', task_id: e.data.task_id })
      saveTaskDetails(ctx.store, e.data)
    },
    'tasks.assigned': (e) => handle(ctx, random, { kind: 'charge', charge: 'assign_fee', cause_id: e.event_id, account_id: e.data.assignee_id, task_id: e.data.task_id }),
    'tasks.completed': (e) => handle(ctx, random, { kind: 'charge', charge: 'completion_reward', cause_id: e.event_id, account_id: e.data.assignee_id, task_id: e.data.task_id }),
  }
}

export function closeHandlers(ctx: Ctx<DB>, random: Random): Handlers {
  return {
    'billing.day_close_requested': (e) => handle(ctx, random, { kind: 'close', business_day: e.data.business_day }),
  }
}

/** Makes sure there is an open day; an empty database first restores billing's own decisions. */
export async function restore(ctx: Ctx<DB>): Promise<void> {
  if (isEmpty(ctx.store)) {
    ctx.store.exec(dropEntryIndexes)
    const restored = await ctx.readBack((events) => ctx.store.tx(() => restoreBatch(ctx, events)))
    if (restored > 0) ctx.log.info('restored billing decisions from the BILLING stream', { events: restored })
  }
  // Built in one pass after a restore; also after one that was cut short, whose next start
  // finds a ledger that is not empty and restores nothing.
  for (const index of entryIndexes) ctx.store.exec(index)
  ctx.store.tx(() => {
    if (openDay(ctx.store)) return
    const day = firstEntryDay(ctx.store) ?? dayIn(ctx.config.tz, ctx.now())
    openFirstDay(ctx.store, day)
    ctx.log.info('business day opened', { business_day: day })
  })
}

/** Billing's own events, read back: each decision's change, recorded as when it was decided. */
function restoreBatch(ctx: Ctx<DB>, events: Envelope[]): void {
  // An account's balance is the balance_after of its last entry: written once per batch, not
  // once per entry.
  const balances = new Map<string, number>()
  for (const event of events) {
    switch (event.event_name) {
      case 'billing.task_priced':
        insertPrice(ctx.store, (event as Envelope<'billing.task_priced'>).data)
        break
      case 'billing.transaction_applied': {
        const entry = (event as Envelope<'billing.transaction_applied'>).data
        if (insertEntry(ctx.store, entry)) balances.set(entry.account_id, entry.balance_after)
        break
      }
      case 'billing.day_closed': {
        const summary = (event as Envelope<'billing.day_closed'>).data
        markClosed(ctx.store, summary, event.event_time, dayAfterClose(summary.business_day))
        break
      }
      default:
        break
    }
  }
  for (const [accountId, balance] of balances) setBalance(ctx.store, accountId, balance)
}
