import { Compile, type Validator } from 'typebox/compile'
import type { Static, TSchema } from 'typebox'
import { AccountsCreatedV1 } from './events/accounts.created.ts'
import { AccountsUpdatedV1 } from './events/accounts.updated.ts'
import { TasksCreatedV1, TasksCreatedV2 } from './events/tasks.created.ts'
import { TasksAssignedV1 } from './events/tasks.assigned.ts'
import { TasksCompletedV1 } from './events/tasks.completed.ts'
import { BillingTaskPricedV1 } from './events/billing.task_priced.ts'
import { BillingTransactionAppliedV1 } from './events/billing.transaction_applied.ts'
import { BillingDayCloseRequestedV1 } from './events/billing.day_close_requested.ts'
import { BillingPayoutMadeV1 } from './events/billing.payout_made.ts'
import { BillingDayClosedV1 } from './events/billing.day_closed.ts'
import { BillingDayCloseRefusedV1 } from './events/billing.day_close_refused.ts'
import { BillingDayOpenedV1 } from './events/billing.day_opened.ts'
import { AuthAccountSavedV1, AuthSigningKeyAddedV1 } from './events/auth.private.ts'
import { ClosePayoutMailedV1 } from './events/close.payout_mailed.ts'
import { AnalyticsDayFiguresV1 } from './events/analytics.day_figures.ts'
import { upcastTasksCreatedV1 } from './upcast.ts'

export type EventKind = 'CUD' | 'business' | 'command'

type Version = {
  schema: TSchema
  /** Turns data of this version into data of the latest version; absent on the latest. */
  upcast?: (data: never) => unknown
}

type Definition = {
  kind: EventKind
  description: string
  latest: number
  versions: Record<number, Version>
}

/** The latest data schema of every event: what producers write and handlers see. */
export const latestSchemas = {
  'accounts.created': AccountsCreatedV1,
  'accounts.updated': AccountsUpdatedV1,
  'tasks.created': TasksCreatedV2,
  'tasks.assigned': TasksAssignedV1,
  'tasks.completed': TasksCompletedV1,
  'billing.task_priced': BillingTaskPricedV1,
  'billing.transaction_applied': BillingTransactionAppliedV1,
  'billing.day_close_requested': BillingDayCloseRequestedV1,
  'billing.payout_made': BillingPayoutMadeV1,
  'billing.day_closed': BillingDayClosedV1,
  'billing.day_opened': BillingDayOpenedV1,
  'billing.day_close_refused': BillingDayCloseRefusedV1,
  'auth.account_saved': AuthAccountSavedV1,
  'auth.signing_key_added': AuthSigningKeyAddedV1,
  'close.payout_mailed': ClosePayoutMailedV1,
  'analytics.day_figures': AnalyticsDayFiguresV1,
} as const

export type EventName = keyof typeof latestSchemas
export type EventData<N extends EventName> = Static<(typeof latestSchemas)[N]>

/** Every version of every event that can still be found in the streams. */
export const definitions: Record<EventName, Definition> = {
  'accounts.created': {
    kind: 'CUD',
    description: 'An account was created in auth (full snapshot).',
    latest: 1,
    versions: { 1: { schema: AccountsCreatedV1 } },
  },
  'accounts.updated': {
    kind: 'CUD',
    description: 'An account changed its name, role or activity (full snapshot).',
    latest: 1,
    versions: { 1: { schema: AccountsUpdatedV1 } },
  },
  'tasks.created': {
    kind: 'CUD',
    description: 'A task was created; v2 carries the jira id apart from the title.',
    latest: 2,
    versions: {
      1: { schema: TasksCreatedV1, upcast: upcastTasksCreatedV1 },
      2: { schema: TasksCreatedV2 },
    },
  },
  'tasks.assigned': {
    kind: 'business',
    description: 'A task got an assignee: on creation and on every reshuffle.',
    latest: 1,
    versions: { 1: { schema: TasksAssignedV1 } },
  },
  'tasks.completed': {
    kind: 'business',
    description: 'The assignee marked the task completed.',
    latest: 1,
    versions: { 1: { schema: TasksCompletedV1 } },
  },
  'billing.task_priced': {
    kind: 'business',
    description: 'Billing fixed the assignment fee and completion reward of a task, once.',
    latest: 1,
    versions: { 1: { schema: BillingTaskPricedV1 } },
  },
  'billing.transaction_applied': {
    kind: 'business',
    description: 'A ledger entry was written to an account.',
    latest: 1,
    versions: { 1: { schema: BillingTransactionAppliedV1 } },
  },
  'billing.day_close_requested': {
    kind: 'command',
    description: 'Close every business day billing has not closed up to this one, in order; answered by billing.day_closed or billing.day_close_refused.',
    latest: 1,
    versions: { 1: { schema: BillingDayCloseRequestedV1 } },
  },
  'billing.payout_made': {
    kind: 'business',
    description: 'A positive balance was paid out at the close of a business day.',
    latest: 1,
    versions: { 1: { schema: BillingPayoutMadeV1 } },
  },
  'billing.day_closed': {
    kind: 'business',
    description: 'A business day was closed: its positive balances were paid out.',
    latest: 1,
    versions: { 1: { schema: BillingDayClosedV1 } },
  },
  'billing.day_opened': {
    kind: 'business',
    description: 'Billing opened a business day, in its time zone: ledger entries are stamped with it from now on.',
    latest: 1,
    versions: { 1: { schema: BillingDayOpenedV1 } },
  },
  'billing.day_close_refused': {
    kind: 'business',
    description: 'Billing refused a close request (the day was closed already, or has not begun), with its open day.',
    latest: 1,
    versions: { 1: { schema: BillingDayCloseRefusedV1 } },
  },
  'auth.account_saved': {
    kind: 'CUD',
    description: "auth's own record of an account, beak hash included, for an auth instance taking over; only auth may read it.",
    latest: 1,
    versions: { 1: { schema: AuthAccountSavedV1 } },
  },
  'auth.signing_key_added': {
    kind: 'CUD',
    description: 'A token signing key auth made, for an auth instance taking over; only auth may read it.',
    latest: 1,
    versions: { 1: { schema: AuthSigningKeyAddedV1 } },
  },
  'close.payout_mailed': {
    kind: 'business',
    description: "close e-mailed a payout to its account's holder.",
    latest: 1,
    versions: { 1: { schema: ClosePayoutMailedV1 } },
  },
  'analytics.day_figures': {
    kind: 'business',
    description: "Analytics' figures for a closed business day: the management earnings it summed itself, and the employees below zero at the close; the latest one of a day stands.",
    latest: 1,
    versions: { 1: { schema: AnalyticsDayFiguresV1 } },
  },
}

export const eventNames = Object.keys(definitions) as EventName[]

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(definitions, name)
}

export function latestVersion(name: EventName): number {
  return definitions[name].latest
}

/** The JetStream subject of an event: `<event_name>.v<event_version>`. */
export function subjectOf(name: EventName, version: number = latestVersion(name)): string {
  return `${name}.v${version}`
}

const validators = new Map<string, Validator>()

/** The compiled validator of one (name, version), or undefined when the registry has none. */
export function validatorFor(name: string, version: number): Validator | undefined {
  if (!isEventName(name)) return undefined
  const version_ = definitions[name].versions[version]
  if (!version_) return undefined
  const key = `${name}.v${version}`
  let validator = validators.get(key)
  if (!validator) {
    validator = Compile(version_.schema)
    validators.set(key, validator)
  }
  return validator
}

/** Data of any known version, brought to the latest shape. */
export function upcast<N extends EventName>(name: N, version: number, data: unknown): EventData<N> {
  const version_ = definitions[name].versions[version]
  if (!version_) throw new Error(`no ${name} v${version} in the registry`)
  return (version_.upcast ? version_.upcast(data as never) : data) as EventData<N>
}
