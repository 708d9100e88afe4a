// close's HTTP API (SPEC §4), for admins: answers and its operations.
import Type, { type Static } from 'typebox'
import { Cents, Timestamp } from '../common.ts'
import { Day } from './billing.ts'
import { Nullable, type Operation, type WorkerApi } from './openapi.ts'
import { OPS_OPERATIONS } from './ops.ts'
import { NextCursor, PageQuery } from './paging.ts'

export const CloseState = Type.Union([Type.Literal('closed'), Type.Literal('refused'), Type.Literal('waiting'), Type.Literal('asked_again'), Type.Literal('not_asked')])
export type CloseState = Static<typeof CloseState>

export const Close = Type.Object(
  {
    business_day: Day,
    state: CloseState,
    requested_at: Nullable(Timestamp),
    requested_by: Nullable(Type.String({ description: "schedule, catch_up, or the admin's account id" })),
    attempts: Type.Integer({ minimum: 0 }),
    refused_reason: Nullable(Type.Union([Type.Literal('already_closed'), Type.Literal('not_begun')])),
    closed_at: Nullable(Timestamp),
    accounts_paid: Nullable(Type.Integer({ minimum: 0 })),
    total_paid: Nullable(Cents),
    management_earnings: Nullable(Cents),
  },
  { additionalProperties: false },
)
export type Close = Static<typeof Close>

export const Calendar = Type.Object(
  {
    open_day: Nullable(Day),
    time_zone: Nullable(Type.String()),
    oldest_unclosed_day: Nullable(Day),
    closes_at: Nullable(Timestamp),
    overdue_seconds: Type.Integer({ minimum: 0 }),
    unanswered_requests: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
)
export type Calendar = Static<typeof Calendar>

export const Closes = Type.Object(
  { ...Calendar.properties, closes: Type.Array(Close, { description: 'newest first' }), next_cursor: NextCursor },
  { additionalProperties: false },
)
export type Closes = Static<typeof Closes>

export const CloseRequested = Type.Object({ business_day: Day }, { additionalProperties: false })

const operations: Operation[] = [
  {
    id: 'closes',
    method: 'get',
    path: '/api/closes',
    tag: 'closes',
    summary: "Billing's calendar as close knows it, and the closes, newest first, a page at a time",
    access: ['admin'],
    query: PageQuery,
    responses: { 200: { description: 'the calendar and a page of closes', json: Closes } },
    errors: { 422: ['invalid_cursor'] },
  },
  {
    id: 'closeNow',
    method: 'post',
    path: '/api/closes',
    tag: 'closes',
    summary: 'Close the open business day now',
    description: 'Takes no body. Billing closes the day; the answer says which day was asked for.',
    access: ['admin'],
    responses: { 202: { description: 'asked', json: CloseRequested } },
    errors: { 409: ['next_day_open', 'zone_mismatch'] },
  },
  {
    id: 'closesPage',
    method: 'get',
    path: '/',
    tag: 'pages',
    summary: 'The closes page',
    access: ['admin'],
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
  {
    id: 'closeNowForm',
    method: 'post',
    path: '/closes',
    tag: 'pages',
    summary: "The closes page's button that closes the open day now",
    access: ['admin'],
    responses: { 303: { description: 'back to the closes page, with what happened', redirect: true } },
  },
]

export const CLOSE_API: WorkerApi = {
  worker: 'close',
  title: 'aTES close',
  description: 'The end of each business day: the schedule, the closes and closing now, for admins.',
  operations: [...operations, ...OPS_OPERATIONS],
}
