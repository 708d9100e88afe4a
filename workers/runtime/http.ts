// What every worker's HTTP edge shares: the JSON error shape (SPEC §4), body parsing
// with TypeBox, a size limit, request metrics, client addresses and page headers. What an
// instance says about itself and how its writes wait for the broker: ops.ts.
import { type Context, type MiddlewareHandler } from 'hono'
import { BlockList, isIP } from 'node:net'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Static, TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import { explainErrors } from '../../contracts/messages.ts'
import type { RangeRefusal } from './days.ts'
import { describeFault, type Health, isInfrastructureError } from './health.ts'
import type { Logger } from './log.ts'
import { onePer } from './lru.ts'
import { HTTP_BUCKETS, type HistogramSeries, type Metrics, type Series } from './metrics.ts'
import type { Refusal } from './refusal.ts'

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } }
}

/** app.onError: one mapping of everything thrown to the JSON error shape. */
export function onError(log: Logger, health?: Health) {
  return (error: Error, c: Context) => {
    if (isInfrastructureError(error)) {
      // The database cannot take the change now (locked, full disk): nothing was written.
      health?.fail('database', describeFault(error))
      c.header('retry-after', '5')
      return c.json(errorBody('unavailable', 'the change could not be saved right now (the database cannot take writes); nothing was changed, try again shortly'), 503)
    }
    if (error instanceof HttpError) {
      return c.json(errorBody(error.code, error.message, error.details), error.status)
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode
      return c.json(errorBody(codeOf(status), error.message || 'request refused'), status)
    }
    log.error('unhandled error', { error, method: c.req.method, path: c.req.path })
    return c.json(errorBody('internal', 'something went wrong on our side'), 500)
  }
}

export function notFound(c: Context) {
  return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404)
}

function codeOf(status: number): string {
  const codes: Record<number, string> = {
    400: 'bad_request',
    401: 'unauthenticated',
    403: 'forbidden',
    404: 'not_found',
    409: 'conflict',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    422: 'invalid',
    429: 'too_many_requests',
  }
  return codes[status] ?? 'error'
}

/** Refuses bodies over the limit with 413 before they are read whole. */
export function limitBody(maxBytes = 64 * 1024): MiddlewareHandler {
  const tooLarge = (c: Context) => c.json(errorBody('payload_too_large', `request body is over ${maxBytes} bytes`), 413)
  const limit = bodyLimit({ maxSize: maxBytes, onError: tooLarge })
  return (c, next) => {
    // A GET or HEAD request has no body to read (the server drops one sent anyway), and asking
    // for it builds a whole fetch Request, which cost a read as much as the rest of the request.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    // With a content-length (and no transfer-encoding) Node's parser reads exactly that many
    // bytes as the body, so the header alone decides. Only a body of unknown length is counted
    // as it streams in, which builds the fetch Request and its stream: about a third of the
    // CPU of a task creation.
    const length = c.req.header('content-length')
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      return Number(length) > maxBytes ? Promise.resolve(tooLarge(c)) : next()
    }
    return limit(c, next)
  }
}

const validatorOf = onePer((schema: TSchema): Validator => Compile(schema))

/** Checks a value against a schema: 422 with the reasons when it does not fit. */
export function check<S extends TSchema>(schema: S, value: unknown, what = 'body'): Static<S> {
  const validator = validatorOf(schema)
  if (!validator.Check(value)) {
    const reasons = explainErrors(validator.Errors(value), schema, what)
    throw new HttpError(422, 'invalid', reasons.slice(0, 5).map((r) => r.message).join('; '), reasons.slice(0, 10))
  }
  return value as Static<S>
}

/** What a JSON API says to a body sent as anything but JSON (a form, text): what to send instead. */
export const SEND_JSON = 'this API takes JSON: send the body as JSON with content-type: application/json'

const isJson = (type: string) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)

/**
 * Reads a JSON body (415 unless it says it is JSON, 400 when it is not) and checks it (422 when
 * it does not fit). A form or text/plain body is what another site's page can make a browser
 * send without asking; a JSON body it cannot.
 */
export async function jsonBody<S extends TSchema>(c: Context, schema: S): Promise<Static<S>> {
  if (!isJson(c.req.header('content-type') ?? '')) throw new HttpError(415, 'unsupported_media_type', SEND_JSON)
  let value: unknown
  try {
    value = await c.req.json()
  } catch {
    throw new HttpError(400, 'bad_request', 'request body must be valid JSON')
  }
  return check(schema, value)
}

/** Counts requests and their durations by route pattern (never the raw path) and status. */
export function requestMetrics(metrics: Metrics, worker: string): MiddlewareHandler {
  const requests = metrics.counter('ates_http_requests_total', 'HTTP requests by method, route and status')
  const seconds = metrics.counter('ates_http_request_seconds_total', 'Time spent answering HTTP requests')
  const durations = metrics.histogram('ates_http_request_duration_seconds', 'How long answering an HTTP request took, by method, route pattern and status', HTTP_BUCKETS)
  // The series of a route are found by a plain string, not by building their label text again.
  const series = new Map<string, { requests: Series; seconds: Series; duration: HistogramSeries }>()
  return async (c, next) => {
    const started = performance.now()
    await next()
    const { method, routePath: route } = c.req
    const status = c.res.status
    const key = `${method} ${status} ${route}`
    let counted = series.get(key)
    if (!counted) {
      counted = {
        requests: requests.series({ method, route, status: String(status) }),
        seconds: seconds.series({ route }),
        duration: durations.series({ worker, method, route, status: String(status) }),
      }
      series.set(key, counted)
    }
    const elapsed = (performance.now() - started) / 1000
    counted.requests.inc()
    counted.seconds.inc(elapsed)
    counted.duration.observe(elapsed)
  }
}

/** 415 for a write to the JSON API whose body is declared as anything but JSON. */
export function jsonOnly(): MiddlewareHandler {
  return (c, next) => {
    const type = c.req.header('content-type')
    if (type !== undefined && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method) && !isJson(type)) {
      throw new HttpError(415, 'unsupported_media_type', SEND_JSON)
    }
    return next()
  }
}

/** An IPv4 address as IPv4, also when a dual-stack socket reports it as ::ffff:a.b.c.d. */
function plainAddress(raw: string | undefined): string | undefined {
  const address = raw?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '')
  return address && isIP(address) ? address : undefined
}

/**
 * Where a request comes from: the peer's address, unless that peer is one of the trusted
 * proxies (ATES_TRUSTED_PROXIES), whose X-Forwarded-For is then read from its right end: the
 * client is the nearest address that is not itself a trusted proxy. Anyone else's
 * X-Forwarded-For is ignored, so a client cannot pick the address it is throttled by.
 */
export function clientAddresses(trustedProxies: string[]): (c: Context) => string {
  const trusted = new BlockList()
  for (const entry of trustedProxies) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) trusted.addAddress(address, family)
    else trusted.addSubnet(address, Number(prefix), family)
  }
  const isTrusted = (address: string) => trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')
  return (c) => {
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
    let client = plainAddress(env?.incoming?.socket?.remoteAddress)
    if (!client) return 'unknown'
    if (trustedProxies.length === 0 || !isTrusted(client)) return client
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').reverse()
    for (const hop of hops) {
      const address = plainAddress(hop)
      if (!address) break
      client = address
      if (!isTrusted(address)) break
    }
    return client
  }
}

export type PageHeaderOptions = {
  /** The public origins of every worker: where forms may post and a login may send the browser back. */
  origins: string[]
  /** This worker's public URL: over https, browsers are told to stay on https. */
  selfUrl: string
  /** The CSP sources of the pages' style sheets (views/layout.tsx, styleSources). */
  styles: () => string[]
}

/**
 * Security headers on every page (everything but /api/, whose JSON is never rendered as a
 * document: the API's hot path stays as it was). The CSP runs no script at all, applies only the
 * pages' own style sheets (by hash), lets forms post only to aTES, and lets no one frame a page;
 * a page that brings its own policy keeps it. The referrer policy is the browsers' default, said
 * out loud: with no-referrer or same-origin a browser sends `Origin: null` with a form posted to
 * another worker (a logout), and ownPagesOnly would refuse it.
 */
export function pageHeaders(options: PageHeaderOptions): MiddlewareHandler {
  const formTargets = [...new Set(options.origins.map((o) => new URL(o).origin))].join(' ')
  const fixed: Array<[string, string]> = [
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'strict-origin-when-cross-origin'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ...(options.selfUrl.startsWith('https:') ? [['Strict-Transport-Security', 'max-age=31536000'] as [string, string]] : []),
  ]
  let policy = { styles: -1, text: '' }
  const withHeaders: MiddlewareHandler = async (c, next) => {
    await next()
    const styles = options.styles()
    if (styles.length !== policy.styles) {
      const text = [
        "default-src 'none'",
        "script-src 'none'",
        `style-src ${styles.join(' ') || "'none'"}`,
        "img-src 'self'",
        `form-action 'self' ${formTargets}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; ')
      policy = { styles: styles.length, text }
    }
    const headers = c.res.headers
    // A page with a policy of its own (the API reference, which runs its own scripts) keeps it.
    if (!headers.has('Content-Security-Policy')) headers.set('Content-Security-Policy', policy.text)
    for (const [name, value] of fixed) headers.set(name, value)
  }
  // The API's requests pass straight on: not even a promise of this middleware's own.
  return (c, next) => (c.req.path.startsWith('/api/') ? next() : withHeaders(c, next))
}

// A refusal answers with the status its worker's table gives its kind, in the JSON error shape.
export type RefusalTable<R extends Refusal> = {
  [K in R['kind']]: { status: ContentfulStatusCode; message?: string; details?: (refusal: Extract<R, { kind: K }>) => unknown }
}

/** The HttpError a refusal answers with: its own message, else the table's, else its kind. */
export function refusalError<R extends Refusal>(table: RefusalTable<R>, refusal: R): HttpError {
  const entry = table[refusal.kind as R['kind']] as RefusalTable<R>[R['kind']]
  const details = entry.details?.(refusal as never)
  return new HttpError(entry.status, refusal.kind, refusal.message ?? entry.message ?? refusal.kind, details)
}

/** A function that returns a result's value, or throws the HttpError of its refusal. */
export function refusing<R extends Refusal>(table: RefusalTable<R>) {
  return <T extends object>(result: T | R): Exclude<T, R> => {
    if ('kind' in result) throw refusalError(table, result as R)
    return result as Exclude<T, R>
  }
}

/** A report over a range of days that runs backwards or is too long (runtime/days.ts). */
export const RANGE_REFUSALS: RefusalTable<RangeRefusal> = { invalid_range: { status: 422 } }
