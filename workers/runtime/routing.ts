// How a worker answers a request its routes do not take, before anything else looks at it: an
// unknown /api path is 404 whoever asks (no token needed to learn it is not there), a known path
// asked with another method is 405 with the methods it takes (Allow). And CORS for browser
// clients on the origins ATES_CORS_ORIGINS lists.
import type { MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { Result, Router } from 'hono/router'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { SmartRouter } from 'hono/router/smart-router'
import { TrieRouter } from 'hono/router/trie-router'
import { errorBody } from './http.ts'
import { Lru } from './lru.ts'

const KNOWN_PATHS = 1000

type Route = { segments: string[]; method: string }

/** What a hono app says about its routes (app.routes). */
export type RouteList = { routes: ReadonlyArray<{ path: string; method: string }> }

function segmentsOf(path: string): string[] {
  return path.split('/').filter((s, i, all) => s !== '' || i === all.length - 1)
}

/** /api/tasks/:id matches /api/tasks/42; a trailing * matches the rest. */
function matches(pattern: string[], path: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!
    if (part === '*' && i === pattern.length - 1) return true
    const given = path[i]
    if (given === undefined) return false
    if (part.startsWith(':') ? given === '' : part !== given) return false
  }
  return pattern.length === path.length
}

/** The methods each known path takes, from the app's own routes (its middleware left out). */
export function methodsOf(app: RouteList): (path: string) => string[] {
  let routes: Route[] | undefined
  // Every request asks: the paths asked most keep their answer (matching every route again cost
  // a few µs of each read).
  const known = new Lru<string, string[]>(KNOWN_PATHS)
  return (path) => {
    const kept = known.get(path)
    if (kept) return kept
    // Read at the first request, when every route has been added.
    routes ??= app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ segments: segmentsOf(r.path), method: r.method }))
    const given = segmentsOf(path)
    const methods = new Set(routes.filter((r) => matches(r.segments, given)).map((r) => r.method))
    // A GET route answers HEAD as well (hono runs it and drops the body).
    if (methods.has('GET')) methods.add('HEAD')
    const answer = [...methods]
    known.set(path, answer)
    return answer
  }
}

/** At most this many method and path pairs keep their match, then all are forgotten at once: a hit costs one lookup (an Lru would move the entry on every request). */
const KEPT_MATCHES = 1000
/** A longer path is matched each time: what is kept stays small whatever is asked. */
const KEPT_PATH_LENGTH = 200

/**
 * Hono's default router (the first of its regular-expression and trie routers that takes every
 * route), each method and path keeping its match: a worker's routes are all added before it
 * serves, so a path matches the same way every time. The workers' routes need the trie (a
 * static segment beside a parameter, /api/tasks/reassign and /api/tasks/:id/complete), whose
 * walk through every route and middleware cost about 3 µs of each request: a tenth of a page of
 * tasks answered from memory. Hono treats a match as read-only (its regular-expression router
 * hands out the same one for every request to a static path).
 */
export class KeptMatchRouter<T> implements Router<T> {
  readonly name = 'KeptMatchRouter'
  private readonly router: Router<T> = new SmartRouter<T>({ routers: [new RegExpRouter(), new TrieRouter()] })
  private readonly kept = new Map<string, Result<T>>()

  add(method: string, path: string, handler: T): void {
    this.kept.clear()
    this.router.add(method, path, handler)
  }

  match(method: string, path: string): Result<T> {
    if (path.length > KEPT_PATH_LENGTH) return this.router.match(method, path)
    const key = `${method} ${path}`
    let result = this.kept.get(key)
    if (result === undefined) {
      result = this.router.match(method, path)
      if (this.kept.size >= KEPT_MATCHES) this.kept.clear()
      this.kept.set(key, result)
    }
    return result
  }
}

/** 404 for an unknown /api path, 405 with Allow for a known path asked with another method, Allow for OPTIONS. */
export function knownRoutes(app: RouteList): MiddlewareHandler {
  const methodsFor = methodsOf(app)
  return async (c, next) => {
    const methods = methodsFor(c.req.path)
    if (methods.length === 0) {
      if (c.req.path.startsWith('/api/')) return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404)
      return next()
    }
    if (methods.includes(c.req.method)) return next()
    const allow = [...methods, 'OPTIONS'].join(', ')
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow })
    const message = `${c.req.path} does not take ${c.req.method}: use ${methods.filter((m) => m !== 'HEAD').join(' or ')}`
    return c.json(errorBody('method_not_allowed', message), 405, { allow })
  }
}

/**
 * CORS for browser clients of the JSON API on the listed origins only (none by default): they
 * may send the Authorization header and JSON, and read Retry-After. Cookies are not offered to
 * other origins (no credentials), so a page elsewhere acts only with a token it was given.
 */
export function corsFor(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins)
  const answer = cors({
    origin: [...allowed],
    allowMethods: ['GET', 'HEAD', 'POST', 'PATCH'],
    allowHeaders: ['authorization', 'content-type'],
    exposeHeaders: ['retry-after', 'www-authenticate', 'allow'],
    maxAge: 600,
  })
  return (c, next) => (allowed.has(c.req.header('origin') ?? '') ? answer(c, next) : next())
}
