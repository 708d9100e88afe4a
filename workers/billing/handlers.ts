// billing's handlers: an event becomes a command, the domain decides, and each decided event
// is applied to the store and written to the outbox, in the consumer's transaction. Before
// consuming anything, billing makes sure it has an open business day; with an empty database
// it first restores its own past decisions from the BILLING stream, so that replaying tasks.*
// afterwards recognises each effect by its derived id and the result is identical.
import type { Envelope } from '../../contracts/envelope.ts'
import { ALREADY_APPLIED, type HandlerResult, idempotent } from '../runtime/batch.ts'
import type { Handlers } from '../runtime/consumer.ts'
import { dayIn } from '../runtime/days.ts'
import { onePer } from '../runtime/lru.ts'
import type { Store } from '../runtime/store.ts'
import { type Ctx, RefusedToStart } from '../runtime/worker.ts'
import { type BillingEvent, type BillingView, type Command, decide, type Random } from './domain.ts'
import {
  addToBalance,
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
  markClosed,
  markHandled,
  priceOf,
  saveAccount,
  saveTaskDetails,
  setBalance,
  setTimeZone,
  timeZone,
} from './store.ts'

/** Billing's state as the store holds it: one view per store, each part read when a decision asks. */
const viewOf = onePer(
  (store: Store<DB>): BillingView => ({
    get currentDay() {
      return calendarOf(store).currentDay
    },
    get lastClosed() {
      return calendarOf(store).lastClosed
    },
    get firstDay() {
      return calendarOf(store).firstDay
    },
    priceOf: (taskId) => priceOf(store, taskId),
    isApplied: (transactionId) => isApplied(store, transactionId),
    balanceOf: (accountId) => balanceOf(store, accountId),
    balances: () => allBalances(store),
    amountsOn: (d) => amountsOn(store, d),
  }),
)

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

/** Decides a command by billing's clock and applies what it decided: the store, then the outbox. Returns what it decided. */
export function handle(ctx: Ctx<DB>, random: Random, command: Command): BillingEvent[] {
  const now = ctx.now()
  const at = now.toISOString()
  const given = { random, now: at, today: dayIn(ctx.config.tz, now), timeZone: ctx.config.tz }
  const decided = decide(command, viewOf(ctx.store), given)
  for (const event of decided) {
    record(ctx, event, at)
    ctx.outbox.emit(event.name, event.data as never, { eventId: event.id, time: now })
  }
  return decided
}

/** A charge decided nothing when its transaction was in the ledger already: the event was a duplicate. */
const charged = (decided: BillingEvent[]): HandlerResult => (decided.some((event) => event.name === 'billing.transaction_applied') ? undefined : ALREADY_APPLIED)

// The account and task handlers are idempotent by themselves, and keep no inbox record: an
// account is a snapshot (the newer wins), a task is priced once, and a charge's transaction id
// derives from its cause, so one already in the ledger decides nothing — also long after the
// inbox would have forgotten the event — and the event counts as a duplicate (ALREADY_APPLIED).
// A close request is recorded: asked again once its day is closed, it would be refused.
export function accountHandlers(ctx: Ctx<DB>): Handlers {
  return {
    'accounts.created': idempotent((e) => saveAccount(ctx.store, e.data, e.event_time)),
    'accounts.updated': idempotent((e) => saveAccount(ctx.store, e.data, e.event_time)),
  }
}

export function taskHandlers(ctx: Ctx<DB>, random: Random): Handlers {
  return {
    'tasks.created': idempotent((e) => {
      const priced = handle(ctx, random, { kind: 'price', task_id: e.data.task_id }).some((event) => event.name === 'billing.task_priced')
      const described = saveTaskDetails(ctx.store, e.data)
      return priced || described ? undefined : ALREADY_APPLIED
    }),
    'tasks.assigned': idempotent((e) =>
      charged(handle(ctx, random, { kind: 'charge', charge: 'assign_fee', cause_id: e.event_id, account_id: e.data.assignee_id, task_id: e.data.task_id })),
    ),
    'tasks.completed': idempotent((e) =>
      charged(handle(ctx, random, { kind: 'charge', charge: 'completion_reward', cause_id: e.event_id, account_id: e.data.assignee_id, task_id: e.data.task_id })),
    ),
  }
}

export function closeHandlers(ctx: Ctx<DB>, random: Random): Handlers {
  return {
    'billing.day_close_requested': (e) => {
      handle(ctx, random, { kind: 'close', business_day: e.data.business_day, request_event_id: e.event_id })
    },
  }
}

/**
 * Before consuming: the database first brings in billing's own decisions it does not hold yet
 * (restore); then the zone billing's calendar runs in is checked against ATES_TZ, and the
 * calendar brought to today (the first day opens, or the day the clock is on).
 */
export async function prepare(ctx: Ctx<DB>, random: Random, answers: Answers = newAnswers()): Promise<void> {
  const restored = await restore(ctx, answers)
  if (restored > 0) ctx.log.info('billing decisions brought up to date from the BILLING stream', { events: restored })
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

/**
 * Billing's own decisions the database does not hold yet: all of them for an empty one (a
 * rebuild), those another instance made for one taking over or following as a standby, none
 * after its own restart. Each batch is applied whole, balances included, so a read cut short
 * (a crash, a standby becoming active) leaves a ledger that adds up. Returns how many events
 * it read.
 */
export async function restore(ctx: Ctx<DB>, answers: Answers, readBack: Ctx<DB>['readBack'] = ctx.readBack): Promise<number> {
  if (isEmpty(ctx.store)) ctx.store.exec(dropEntryIndexes)
  try {
    return await readBack((events) =>
      ctx.store.tx(() => {
        restoreBatch(ctx, events, answers)
        // A close request the stream shows answered (refused, or its day closed) is not handled again.
        const answered = [...answers.requests].filter(([id, day]) => answers.refused.has(id) || day <= answers.lastClosed).map(([id]) => id)
        markHandled(ctx.store, answered, Date.now())
        for (const id of answered) answers.requests.delete(id)
      }),
    )
  } finally {
    // Built in one pass after loading an empty ledger; also after a restore that was cut short,
    // whose next start finds a ledger that is not empty.
    for (const index of entryIndexes) ctx.store.exec(index)
  }
}

/** What reads back have found of close requests and their answers, kept across them (a standby reads back every round). */
export type Answers = { requests: Map<string, string>; refused: Set<string>; lastClosed: string }

export const newAnswers = (): Answers => ({ requests: new Map(), refused: new Set(), lastClosed: '' })

/**
 * Billing's own events, read back: each decision's change, recorded as when it was decided, the
 * balances moved by the entries new to the ledger; and which close requests were answered.
 */
function restoreBatch(ctx: Ctx<DB>, events: Envelope[], answers: Answers): void {
  const moved = new Map<string, number>()
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
        if (insertEntry(ctx.store, entry)) moved.set(entry.account_id, (moved.get(entry.account_id) ?? 0) + entry.credit - entry.debit)
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
  for (const [account, change] of moved) {
    ensureAccount(ctx.store, account)
    addToBalance(ctx.store, account, change)
  }
}
