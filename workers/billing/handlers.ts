// billing's handlers: an event becomes a command, the domain decides, and each decided event
// is applied to the store and written to the outbox, in the consumer's transaction. Before
// consuming anything, billing makes sure it has an open business day; with an empty database
// it first restores its own past decisions from the BILLING stream, so that replaying tasks.*
// afterwards recognises each effect by its derived id and the result is identical.
import type { Envelope } from '../../contracts/envelope.ts'
import type { Handlers } from '../runtime/consumer.ts'
import { dayIn } from '../runtime/days.ts'
import { type Ctx, RefusedToStart } from '../runtime/worker.ts'
import { type BillingEvent, type BillingView, type Command, decide, type Random } from './domain.ts'
import {
  allBalances,
  amountsOn,
  balanceOf,
  calendarOf,
  currentDay,
  type DB,
  dropEntryIndexes,
  ensureAccount,
  entryIndexes,
  insertEntry,
  insertOpenDay,
  insertPrice,
  isApplied,
  isEmpty,
  ledgerBalances,
  markClosed,
  markHandled,
  priceOf,
  saveAccount,
  saveTaskDetails,
  setBalance,
  setTimeZone,
  timeZone,
} from './store.ts'

/** Billing's state as the store holds it. */
function viewOf(ctx: Ctx<DB>): BillingView {
  const { store } = ctx
  return {
    ...calendarOf(store),
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
      ensureAccount(ctx.store, event.data.account_id)
      return setBalance(ctx.store, event.data.account_id, event.data.balance_after)
    case 'billing.day_opened':
      insertOpenDay(ctx.store, event.data.business_day)
      return setTimeZone(ctx.store, event.data.time_zone)
    case 'billing.day_closed':
      return markClosed(ctx.store, event.data, at)
    case 'billing.payout_made':
    case 'billing.day_close_refused':
      return
  }
}

/** Decides a command by billing's clock and applies what it decided: the store, then the outbox. */
export function handle(ctx: Ctx<DB>, random: Random, command: Command): void {
  const now = ctx.now()
  const at = now.toISOString()
  const given = { random, now: at, today: dayIn(ctx.config.tz, now), timeZone: ctx.config.tz }
  for (const event of decide(command, viewOf(ctx), given)) {
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
    'billing.day_close_requested': (e) => handle(ctx, random, { kind: 'close', business_day: e.data.business_day, request_event_id: e.event_id }),
  }
}

/**
 * Before consuming: an empty database first restores billing's own decisions; then the zone
 * billing's calendar runs in is checked against ATES_TZ, and the calendar brought to today
 * (the first day opens, or the day the clock is on).
 */
export async function prepare(ctx: Ctx<DB>, random: Random): Promise<void> {
  // Billing's own decisions the database does not hold yet: all of them for an empty one (a
  // rebuild), those another instance made for one taking over, none after its own restart.
  const empty = isEmpty(ctx.store)
  if (empty) ctx.store.exec(dropEntryIndexes)
  const answers: Answers = { requests: new Map(), refused: new Set(), lastClosed: '', entries: new Set() }
  const restored = await ctx.readBack((events) => ctx.store.tx(() => restoreBatch(ctx, events, answers)))
  // Built in one pass after loading an empty ledger; also after a restore that was cut short,
  // whose next start finds a ledger that is not empty.
  for (const index of entryIndexes) ctx.store.exec(index)
  if (restored > 0) {
    ctx.store.tx(() => {
      // A close request the stream shows answered (refused, or its day closed) is not handled again.
      const answered = [...answers.requests].filter(([id, day]) => answers.refused.has(id) || day <= answers.lastClosed).map(([id]) => id)
      markHandled(ctx.store, answered, Date.now())
      // Each balance is what its entries add up to, whatever order the stream holds them in.
      for (const { account_id, balance } of ledgerBalances(ctx.store, answers.entries)) {
        ensureAccount(ctx.store, account_id)
        setBalance(ctx.store, account_id, balance)
      }
    })
    ctx.log.info('billing decisions brought up to date from the BILLING stream', { events: restored })
  }
  const zone = timeZone(ctx.store)
  if (zone !== undefined && zone !== ctx.config.tz) {
    throw new RefusedToStart(`billing keeps its business days in ${zone} but ATES_TZ is ${ctx.config.tz}: start billing with ATES_TZ=${zone}`)
  }
  ctx.store.tx(() => {
    // A ledger from before billing stated its zone announces its open day once.
    const current = currentDay(ctx.store)
    if (zone === undefined && current !== undefined) {
      const now = ctx.now()
      setTimeZone(ctx.store, ctx.config.tz)
      ctx.outbox.emit('billing.day_opened', { business_day: current, time_zone: ctx.config.tz, reason: 'calendar', opened_at: now.toISOString() }, { time: now })
    }
    handle(ctx, random, { kind: 'roll' })
  })
  ctx.log.info('business day open', { business_day: currentDay(ctx.store), time_zone: ctx.config.tz })
}

/** What a read back found: close requests and their answers, and the accounts whose entries came in. */
type Answers = { requests: Map<string, string>; refused: Set<string>; lastClosed: string; entries: Set<string> }

/** Billing's own events, read back: each decision's change, recorded as when it was decided; and which close requests were answered. */
function restoreBatch(ctx: Ctx<DB>, events: Envelope[], answers: Answers): void {
  for (const event of events) {
    switch (event.event_name) {
      case 'billing.day_close_requested':
        answers.requests.set(event.event_id, (event as Envelope<'billing.day_close_requested'>).data.business_day)
        break
      case 'billing.day_close_refused':
        answers.refused.add((event as Envelope<'billing.day_close_refused'>).data.request_event_id)
        break
      case 'billing.task_priced':
        insertPrice(ctx.store, (event as Envelope<'billing.task_priced'>).data)
        break
      case 'billing.transaction_applied': {
        const entry = (event as Envelope<'billing.transaction_applied'>).data
        if (insertEntry(ctx.store, entry)) answers.entries.add(entry.account_id)
        break
      }
      case 'billing.day_opened': {
        const opened = (event as Envelope<'billing.day_opened'>).data
        insertOpenDay(ctx.store, opened.business_day)
        setTimeZone(ctx.store, opened.time_zone)
        break
      }
      case 'billing.day_closed': {
        const summary = (event as Envelope<'billing.day_closed'>).data
        markClosed(ctx.store, summary, event.event_time)
        if (summary.business_day > answers.lastClosed) answers.lastClosed = summary.business_day
        break
      }
      default:
        break
    }
  }
}
