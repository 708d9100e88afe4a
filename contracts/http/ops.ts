// What every worker serves besides its own API: health, readiness, metrics, its OpenAPI document
// and the API reference page made from it.
import Type, { type Static } from 'typebox'
import { Nullable, type Operation } from './openapi.ts'

export const Health = Type.Object({ status: Type.Literal('ok') }, { additionalProperties: false })

export const Readiness = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready'), Type.Literal('standby')]),
    nats: Type.Boolean(),
    database: Type.Boolean({ description: 'the database takes a write (a standby: a read)' }),
    consumer_lag: Nullable(Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: 'events not yet handled, per durable consumer' })),
    faults: Type.Record(Type.String(), Type.String(), { description: 'infrastructure faults the worker rides out now, by component, with the reason' }),
    warnings: Type.Array(Type.String(), { description: 'what to watch that does not stop the worker (storage filling)' }),
    active: Type.Optional(
      Nullable(
        Type.Object(
          { instance: Type.String(), url: Type.String(), since: Type.String(), host: Type.String(), pid: Type.Integer() },
          { additionalProperties: false, description: 'on a standby: the active instance (null while none is)' },
        ),
      ),
    ),
    following: Type.Optional(
      Type.Object(
        {
          rounds: Type.Integer({ minimum: 0 }),
          last_round: Nullable(
            Type.Object(
              { at: Type.String(), decisions: Type.Integer({ minimum: 0 }), applied: Type.Integer({ minimum: 0 }), seconds: Type.Number({ minimum: 0 }) },
              { additionalProperties: false, description: "when the last round ended, the active instance's decisions it brought in, the events it applied, and how long it took" },
            ),
          ),
          warm: Type.Boolean({ description: 'the last round had little to do: taking over reads only a short tail' }),
        },
        { additionalProperties: false, description: "on a standby that keeps its database warm (billing): how its following of the active instance goes" },
      ),
    ),
  },
  { additionalProperties: false },
)
export type Readiness = Static<typeof Readiness>

export const ReadyQuery = Type.Object(
  { max_lag: Type.Optional(Type.String({ description: 'answer 503 while a consumer is further behind than this (0: until every one has caught up)' })) },
  { additionalProperties: false },
)

export const OpenApiShape = Type.Object({
  openapi: Type.Literal('3.1.0'),
  info: Type.Object({ title: Type.String(), version: Type.String() }),
  paths: Type.Record(Type.String(), Type.Unknown()),
})

/** The files of the reference page's viewer, served from the npm package that ships them. */
export const REFERENCE_ASSETS = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const

export const OPS_OPERATIONS: readonly Operation[] = [
  {
    id: 'healthz',
    method: 'get',
    path: '/healthz',
    tag: 'operations',
    summary: 'The process answers',
    access: 'public',
    responses: { 200: { description: 'alive', json: Health } },
  },
  {
    id: 'readyz',
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    summary: 'Ready: NATS, the database and every consumer caught up',
    access: 'public',
    query: ReadyQuery,
    responses: {
      200: { description: 'ready', json: Readiness },
      503: { description: 'not ready: NATS or the database is down, a fault is being ridden out, a consumer is behind max_lag, or this instance is a standby', json: Readiness },
    },
  },
  {
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    access: 'public',
    responses: { 200: { description: 'Prometheus text format', media: 'text/plain' } },
  },
  {
    id: 'openapi',
    method: 'get',
    path: '/openapi.json',
    tag: 'reference',
    summary: 'This document',
    access: 'public',
    responses: { 200: { description: 'the OpenAPI 3.1 document of this worker', json: OpenApiShape } },
  },
  {
    id: 'apiReference',
    method: 'get',
    path: '/api-docs',
    tag: 'reference',
    summary: 'The API reference page, made from this document',
    access: 'public',
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
  {
    id: 'apiReferenceFile',
    method: 'get',
    path: '/api-docs/:file',
    tag: 'reference',
    summary: "A file of the reference page: its viewer's script and style, and the script that starts it",
    access: 'public',
    params: Type.Object({ file: Type.String({ description: `one of ${[...Object.keys(REFERENCE_ASSETS), 'start.js'].join(', ')}` }) }),
    responses: { 200: { description: 'the file: a script, a style sheet or an icon', media: '*/*' } },
    errors: { 404: ['not_found'] },
  },
]
