// Each worker's HTTP surface described once, from the same TypeBox schemas its edge validates
// with: the operations, who may call them, what they take and everything they answer. A worker
// serves the OpenAPI 3.1 document generated from it at /openapi.json; the tests walk it
// against real responses and check that the worker serves no route it leaves out.
import Type, { type Static, type TObject, type TSchema } from 'typebox'
import { Role } from '../common.ts'

export type RoleName = Static<typeof Role>

/** Who may call: anyone without a token, any logged-in account, or these roles only. */
export type Access = 'public' | 'account' | readonly RoleName[]

/** An answer that is not an error: JSON of a schema, a document of a media type, or a redirect. */
export type Reply = { description: string } & ({ json: TSchema } | { media: string } | { redirect: true })

export type Method = 'get' | 'post' | 'patch'

export type Operation = {
  id: string
  method: Method
  /** As the router writes it: /api/tasks/:id */
  path: string
  tag: string
  summary: string
  description?: string
  access: Access
  params?: TObject
  query?: TObject
  /** A JSON body. */
  body?: TSchema
  /** A page's form (application/x-www-form-urlencoded). */
  form?: TObject
  responses: Record<number, Reply>
  /** Refusals of this operation: error codes by status, besides those every route of its kind has. */
  errors?: Record<number, readonly string[]>
}

export type WorkerApi = {
  worker: string
  title: string
  description: string
  operations: readonly Operation[]
}

/** A JSON API route (pages and the operational routes are not). */
export const isApiPath = (path: string) => path.startsWith('/api/')

/** A dashboard's page or form: HTML for a browser, which shows its refusals as pages. */
export const isPage = (op: Operation) => op.tag === 'pages'

/** A value of the schema, or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** The error shape of SPEC §4, with the codes a status of an operation may carry. */
export function ErrorBody(codes: readonly string[]) {
  return Type.Object(
    {
      error: Type.Object(
        {
          code: Type.Union(codes.map((code) => Type.Literal(code))),
          message: Type.String({ description: 'what went wrong, for a person to read' }),
          details: Type.Optional(Type.Unknown({ description: 'more about it: the fields that did not fit, when to retry, the open day' })),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  )
}

const STATUS_TEXT: Record<number, string> = {
  400: 'the body is not JSON',
  401: 'no token, or a token that is invalid or expired',
  403: 'the caller may not do this',
  404: 'not found',
  409: 'refused: it conflicts with the current state',
  413: 'the body is over 64 KiB',
  415: 'the body is not sent as JSON',
  422: 'the request does not fit: the message says which field and what it must be',
  429: 'too many attempts: retry later',
  503: 'not served now, nothing was changed: this instance is a standby (the body names the active one; Retry-After says when to try again), or the event broker cannot be reached',
  504: 'the change is saved but the event broker did not confirm it in time; it is sent once the broker answers: look it up before trying again (details.saved is the answer it would have had, the new id with it)',
}

/** What every instance answers, a standby too: the operators' probes. */
const ALWAYS_ANSWERED = new Set(['/healthz', '/readyz', '/metrics'])

/** The errors an operation answers: those of every route of its kind, and its own refusals. */
export function errorsOf(op: Operation): Record<number, string[]> {
  const api = isApiPath(op.path)
  const errors: Record<number, string[]> = {}
  const add = (status: number, ...codes: string[]) => {
    errors[status] = [...new Set([...(errors[status] ?? []), ...codes])]
  }
  if (api && op.access !== 'public') add(401, 'unauthenticated')
  if (api && Array.isArray(op.access)) add(403, 'forbidden')
  if (api && (op.query || op.body)) add(422, 'invalid')
  if (api && op.body) add(400, 'bad_request')
  if (op.method !== 'get') add(413, 'payload_too_large')
  if (api && op.method !== 'get') add(415, 'unsupported_media_type')
  for (const [status, codes] of Object.entries(op.errors ?? {})) add(Number(status), ...codes)
  if (!ALWAYS_ANSWERED.has(op.path)) add(503, 'standby')
  // A write is answered once its events are stored (SPEC §5): refused before anything changes
  // when the broker is out of reach, unconfirmed when it does not answer in time.
  if (op.method !== 'get') {
    add(503, 'unavailable')
    add(504, 'unconfirmed')
  }
  return errors
}

/** Answers given before a route is reached, so the same on pages as on the API. */
const JSON_EVERYWHERE = new Set([413, 503, 504])

/** Every answer of an operation by status: its replies, its errors, and for pages the way to the login page. */
export function responsesOf(op: Operation): Record<number, Reply> {
  const replies: Record<number, Reply> = { ...op.responses }
  const page = isPage(op)
  if (page && op.access !== 'public' && !replies[303]) replies[303] = { description: 'not logged in: to auth\'s login page, and back after it', redirect: true }
  if (page && Array.isArray(op.access) && !replies[403]) replies[403] = { description: `a page saying that this needs one of the roles ${op.access.join(', ')}`, media: 'text/html' }
  for (const [key, codes] of Object.entries(errorsOf(op))) {
    const status = Number(key)
    if (replies[status]) continue
    // A refusal on a page is shown as a page; limits every route shares answer JSON everywhere.
    const text = `${STATUS_TEXT[status] ?? 'refused'} (${codes.join(', ')})`
    replies[status] = page && !JSON_EVERYWHERE.has(status) ? { description: text, media: 'text/html' } : { description: text, json: ErrorBody(codes) }
  }
  return replies
}

/** A schema as plain JSON Schema (2020-12, which OpenAPI 3.1 uses as it is). */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>
}

function accessText(access: Access): string {
  if (access === 'public') return 'Anyone may call it, without a token.'
  if (access === 'account') return 'Any logged-in account.'
  return `Only ${access.join(', ')}.`
}

function parameters(where: 'path' | 'query', schema: TObject | undefined) {
  if (!schema) return []
  const required = new Set((schema.required as string[] | undefined) ?? [])
  return Object.entries(schema.properties as Record<string, TSchema>).map(([name, property]) => {
    const json = plain(property)
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof json.description === 'string' ? { description: json.description } : {}),
      schema: json,
    }
  })
}

function responseObject(reply: Reply) {
  if ('json' in reply) return { description: reply.description, content: { 'application/json': { schema: plain(reply.json) } } }
  if ('media' in reply) return { description: reply.description, content: { [reply.media]: { schema: { type: 'string' } } } }
  return { description: reply.description, headers: { Location: { description: 'where to go', schema: { type: 'string' } } } }
}

/** The OpenAPI path of a route: /api/tasks/:id → /api/tasks/{id}. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}')

export function openApiDocument(api: WorkerApi, serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const op of api.operations) {
    const path = openApiPath(op.path)
    const responses = Object.fromEntries(Object.entries(responsesOf(op)).map(([status, reply]) => [status, responseObject(reply)]))
    const body = op.body ? { 'application/json': { schema: plain(op.body) } } : op.form ? { 'application/x-www-form-urlencoded': { schema: plain(op.form) } } : undefined
    paths[path] ??= {}
    paths[path][op.method] = {
      operationId: op.id,
      tags: [op.tag],
      summary: op.summary,
      description: [op.description, accessText(op.access)].filter(Boolean).join('\n\n'),
      security: op.access === 'public' ? [] : [{ bearer: [] }, { cookie: [] }],
      parameters: [...parameters('path', op.params), ...parameters('query', op.query)],
      ...(body ? { requestBody: { required: true, content: body } } : {}),
      responses,
    }
  }
  const tags = [...new Set(api.operations.map((op) => op.tag))].map((name) => ({ name }))
  return {
    openapi: '3.1.0',
    info: { title: api.title, version: '1.0.0', description: api.description },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags,
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "the token from auth's POST /api/login" },
        cookie: { type: 'apiKey', in: 'cookie', name: 'ates_token', description: "set by auth's login page" },
      },
    },
  }
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>
