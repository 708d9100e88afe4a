// The audit's HTTP API: the kinds of difference it reports, its query parameters, answers and operations.
import Type, { type Static } from 'typebox'
import { Timestamp, Uuid } from '../common.ts'
import { Day } from './billing.ts'
import { Nullable, type Operation, type WorkerApi } from './openapi.ts'
import { OPS_OPERATIONS } from './ops.ts'

/** Every kind of difference (workers/audit/domain.ts says what each means). */
export const DIFFERENCE_KINDS = [
  'price_missing',
  'price_changed',
  'price_out_of_range',
  'fee_missing',
  'fee_twice',
  'fee_wrong',
  'fee_unexplained',
  'reward_missing',
  'reward_twice',
  'reward_wrong',
  'reward_unexplained',
  'completed_twice',
  'balance_chain',
  'payout_not_balance',
  'payout_twice',
  'payout_unclosed_day',
  'payout_unreported',
  'close_disagrees',
  'closed_twice',
  'balance_unpaid',
  'analytics_missing',
  'analytics_disagrees',
] as const
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number]

export const DifferencesQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union(DIFFERENCE_KINDS.map((kind) => Type.Literal(kind)))),
    limit: Type.Optional(Type.String({ pattern: '^(?:[1-9][0-9]{0,2}|1000)$' })),
  },
  { additionalProperties: false },
)
export type DifferencesQuery = Static<typeof DifferencesQuery>

const Kind = Type.Union(DIFFERENCE_KINDS.map((kind) => Type.Literal(kind)))

export const Difference = Type.Object(
  {
    kind: Kind,
    task_id: Nullable(Uuid),
    account_id: Nullable(Uuid),
    business_day: Nullable(Day),
    day: Nullable(Day),
    message: Type.String(),
    events: Type.Array(Type.Object({ event_id: Type.String(), event_name: Type.String() }, { additionalProperties: false })),
    since: Timestamp,
  },
  { additionalProperties: false },
)

export const Differences = Type.Object(
  {
    settle_seconds: Type.Integer({ minimum: 0 }),
    caught_up_at: Nullable(Timestamp),
    counts: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'differences by kind' }),
    total: Type.Integer({ minimum: 0 }),
    pending: Type.Integer({ minimum: 0, description: 'findings younger than the settle time, which the streams may still resolve' }),
    differences: Type.Array(Difference, { description: 'oldest first' }),
  },
  { additionalProperties: false },
)

const operations: Operation[] = [
  {
    id: 'differences',
    method: 'get',
    path: '/api/differences',
    tag: 'audit',
    summary: 'The differences between what happened and what was charged, by the settle rule',
    access: ['admin', 'accountant'],
    query: DifferencesQuery,
    responses: { 200: { description: 'the differences and how many findings are pending', json: Differences } },
  },
  {
    id: 'auditPage',
    method: 'get',
    path: '/',
    tag: 'pages',
    summary: 'The audit page',
    access: ['admin', 'accountant'],
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
]

export const AUDIT_API: WorkerApi = {
  worker: 'audit',
  title: 'aTES audit',
  description: 'Continuous reconciliation: what happened against what was charged, for admins and accountants.',
  operations: [...operations, ...OPS_OPERATIONS],
}
