// analytics' HTTP API (SPEC §4), for admins: query parameters, answers, and its operations.
import Type, { type Static } from 'typebox'
import { Cents, Uuid } from '../common.ts'
import { Day } from './billing.ts'
import { Nullable, type Operation, type WorkerApi } from './openapi.ts'
import { OPS_OPERATIONS } from './ops.ts'

export const DaysQuery = Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) }, { additionalProperties: false })
export type DaysQuery = Static<typeof DaysQuery>

export const Period = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')])

export const MostExpensiveQuery = Type.Object({ period: Period, date: Type.Optional(Day) }, { additionalProperties: false })
export type MostExpensiveQuery = Static<typeof MostExpensiveQuery>

export const Expensive = Nullable(
  Type.Object(
    { task_id: Uuid, title: Nullable(Type.String()), jira_id: Nullable(Type.String()), reward: Cents, business_day: Day },
    { additionalProperties: false, description: 'the completed task with the highest reward (null: none was completed)' },
  ),
)
export type Expensive = Static<typeof Expensive>

export const Today = Type.Object({ business_day: Day, management_earnings: Cents, accounts_negative: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })
export type Today = Static<typeof Today>

export const DayFigures = Type.Object(
  {
    business_day: Day,
    management_earnings: Cents,
    accounts_negative: Nullable(Type.Integer({ minimum: 0, description: 'below zero when the day closed (null: not closed yet)' })),
    most_expensive: Expensive,
  },
  { additionalProperties: false },
)
export type DayFigures = Static<typeof DayFigures>

export const Days = Type.Object({ from: Day, to: Day, days: Type.Array(DayFigures) }, { additionalProperties: false })

export const MostExpensive = Type.Object({ period: Period, from: Day, to: Day, task: Expensive }, { additionalProperties: false })
export type MostExpensive = Static<typeof MostExpensive>

const operations: Operation[] = [
  {
    id: 'today',
    method: 'get',
    path: '/api/analytics/today',
    tag: 'analytics',
    summary: "Management earnings of the open business day, and how many accounts are below zero",
    access: ['admin'],
    responses: { 200: { description: 'today', json: Today } },
  },
  {
    id: 'days',
    method: 'get',
    path: '/api/analytics/days',
    tag: 'analytics',
    summary: 'Per day: earnings, accounts below zero, the most expensive task (default the last 14 days)',
    access: ['admin'],
    query: DaysQuery,
    responses: { 200: { description: 'per day, oldest first', json: Days } },
    errors: { 422: ['invalid_range'] },
  },
  {
    id: 'mostExpensive',
    method: 'get',
    path: '/api/analytics/most-expensive',
    tag: 'analytics',
    summary: 'The most expensive task completed in a day, a week or a month',
    access: ['admin'],
    query: MostExpensiveQuery,
    responses: { 200: { description: 'the period and its task', json: MostExpensive } },
  },
  {
    id: 'analyticsPage',
    method: 'get',
    path: '/',
    tag: 'pages',
    summary: 'The analytics dashboard',
    access: ['admin'],
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
]

export const ANALYTICS_API: WorkerApi = {
  worker: 'analytics',
  title: 'aTES analytics',
  description: 'What management earned, who is below zero and the most expensive tasks, for admins; money in cents.',
  operations: [...operations, ...OPS_OPERATIONS],
}
