// billing's HTTP API (SPEC §4): query parameters, answers, and its operations.
import Type, { type Static } from 'typebox'
import { Cents, NonNegativeCents, Role, Timestamp, Uuid } from '../common.ts'
import { Nullable, type Operation, type WorkerApi } from './openapi.ts'
import { OPS_OPERATIONS } from './ops.ts'
import { NextCursor, paging, PageQuery } from './paging.ts'

export const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'a date like 2026-11-25' })

export const DayQuery = Type.Object({ day: Type.Optional(Day) }, { additionalProperties: false })
export type DayQuery = Static<typeof DayQuery>

export const AccountDayQuery = Type.Object({ day: Type.Optional(Day), ...paging }, { additionalProperties: false })
export type AccountDayQuery = Static<typeof AccountDayQuery>

export const RangeQuery = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false })
export type RangeQuery = Static<typeof RangeQuery>

export const EntryKind = Type.Union([Type.Literal('assign_fee'), Type.Literal('completion_reward'), Type.Literal('payout')])

export const Entry = Type.Object(
  {
    transaction_id: Uuid,
    applied_at: Timestamp,
    kind: EntryKind,
    debit: NonNegativeCents,
    credit: NonNegativeCents,
    business_day: Day,
    balance_after: Cents,
    task: Nullable(
      Type.Object(
        { task_id: Uuid, jira_id: Nullable(Type.String()), title: Nullable(Type.String()), description: Nullable(Type.String()) },
        { additionalProperties: false, description: 'the task the entry was for, as billing heard of it (null for a payout)' },
      ),
    ),
  },
  { additionalProperties: false },
)
export type Entry = Static<typeof Entry>

export const AccountDay = Type.Object(
  {
    account_id: Uuid,
    name: Nullable(Type.String()),
    balance: Cents,
    business_day: Day,
    earned: Type.Integer({ description: 'credits − debits of the whole day, payouts left out (cents)' }),
    entries: Type.Array(Entry, { description: 'the entries of the day, in the order they were applied, a page at a time' }),
    next_cursor: NextCursor,
  },
  { additionalProperties: false },
)
export type AccountDay = Static<typeof AccountDay>

export const AccountBalance = Type.Object(
  { account_id: Uuid, name: Nullable(Type.String()), email: Nullable(Type.String()), role: Nullable(Role), balance: Cents },
  { additionalProperties: false },
)
export type AccountBalance = Static<typeof AccountBalance>

export const AccountBalances = Type.Object(
  { business_day: Day, accounts: Type.Array(AccountBalance, { description: 'by name' }), next_cursor: NextCursor },
  { additionalProperties: false },
)
export type AccountBalances = Static<typeof AccountBalances>

export const DayStatus = Type.Union([Type.Literal('closed'), Type.Literal('ended'), Type.Literal('open'), Type.Literal('future'), Type.Literal('before')], {
  description: "closed; ended but not closed yet; the open day; later; or before billing's first day",
})
export type DayStatus = Static<typeof DayStatus>

export const Earnings = Type.Object(
  {
    open_day: Day,
    days: Type.Array(
      Type.Object({ business_day: Day, management_earnings: Cents, status: DayStatus }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
)
export type Earnings = Static<typeof Earnings>

const AccountId = Type.Object({ id: Uuid })

const operations: Operation[] = [
  {
    id: 'myAccount',
    method: 'get',
    path: '/api/accounts/me',
    tag: 'accounts',
    summary: "My balance, and a day's earnings and entries (default: the open day)",
    description: 'Money is in cents. The entries are paged; balance and earned are the whole day\'s.',
    access: 'account',
    query: AccountDayQuery,
    responses: { 200: { description: 'the account on that day', json: AccountDay } },
    errors: { 422: ['invalid_cursor'] },
  },
  {
    id: 'accountDay',
    method: 'get',
    path: '/api/accounts/:id',
    tag: 'accounts',
    summary: "An account's balance, and a day's earnings and entries",
    description: 'Admins and accountants see every account, everybody else only their own.',
    access: 'account',
    params: AccountId,
    query: AccountDayQuery,
    responses: { 200: { description: 'the account on that day', json: AccountDay } },
    errors: { 403: ['forbidden'], 422: ['invalid_cursor'] },
  },
  {
    id: 'accountBalances',
    method: 'get',
    path: '/api/accounts',
    tag: 'accounts',
    summary: "Every account's balance, a page at a time",
    access: ['admin', 'accountant'],
    query: PageQuery,
    responses: { 200: { description: 'a page of accounts, and the open business day', json: AccountBalances } },
    errors: { 422: ['invalid_cursor'] },
  },
  {
    id: 'managementEarnings',
    method: 'get',
    path: '/api/management/earnings',
    tag: 'earnings',
    summary: 'What management earned per day (fees − rewards; default the last 7 days)',
    access: ['admin', 'accountant'],
    query: RangeQuery,
    responses: { 200: { description: 'per day, oldest first', json: Earnings } },
    errors: { 422: ['invalid_range'] },
  },
  {
    id: 'accountingPage',
    method: 'get',
    path: '/',
    tag: 'pages',
    summary: 'The accounting dashboard',
    access: 'account',
    responses: { 200: { description: 'the page', media: 'text/html' } },
    errors: { 403: ['forbidden'], 422: ['invalid'] },
  },
]

export const BILLING_API: WorkerApi = {
  worker: 'billing',
  title: 'aTES billing',
  description:
    'Balances, the audit log of every debit and credit, and management earnings; money is always integer cents. Log in at auth (POST /api/login) and send the token as `Authorization: Bearer <token>`.',
  operations: [...operations, ...OPS_OPERATIONS],
}
