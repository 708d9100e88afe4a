// Every worker but auth checks who is calling by verifying auth's JWTs offline against
// its JWKS: pinned algorithm, issuer, audience and expiry; then asks its Access whether the
// account still stands as the token says (access.ts). The token comes from the Authorization
// header or the ates_token cookie that auth's login page sets.
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { createMiddleware } from 'hono/factory'
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose'
import Type, { type Static } from 'typebox'
import { Compile } from 'typebox/compile'
import { Role, Uuid } from '../../contracts/common.ts'
import type { Access } from './access.ts'
import type { Config, WorkerName } from './config.ts'
import { errorBody, HttpError } from './http.ts'

export const TOKEN_COOKIE = 'ates_token'
/** The only algorithm a token may be signed with. */
export const JWT_ALGORITHM = 'EdDSA'

const Claims = Type.Object({
  sub: Uuid,
  role: Role,
  name: Type.String(),
  iat: Type.Number(),
})

const claimsValidator = Compile(Claims)

const REMEMBER_MS = 60_000
const REMEMBERED_TOKENS = 10_000

export type Role = Static<typeof Role>

/** Who is calling, as the token says. */
export type Caller = { id: string; role: Role; name: string }

export type AuthEnv = { Variables: { caller: Caller } }

/** A token that verified: who it speaks for, and when auth issued it (ms of auth's clock). */
export type Verified = { caller: Caller; issuedAt: number }

export type AuthOptions = {
  /** auth's JWKS, e.g. http://localhost:3000/.well-known/jwks.json */
  jwksUrl: string
  issuer: string
  audience: string
  /** auth's login page; HTML routes send the browser there and back. */
  loginUrl: string
  /** This worker's public base URL, to build the way back after login. */
  selfUrl: string
  /** Whether the account still stands as a verified token says. */
  access: Access
  /** For tests: a key set instead of fetching jwksUrl. */
  keys?: JWTVerifyGetKey
}

export function bearerOrCookie(c: Context): string | undefined {
  const header = c.req.header('authorization')
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header)
    return match?.[1]
  }
  return getCookie(c, TOKEN_COOKIE)
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])
// What a page of any site can make a browser send without asking first (no CORS preflight).
const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i

/**
 * Writes only from aTES's own pages (SPEC §5). A write (any method but GET, HEAD, OPTIONS)
 * authenticated by the cookie, or carrying a body a form can send (a login, a logout), must come
 * from one of the workers' public origins: its Origin says so, or, without an Origin, its
 * Sec-Fetch-Site is same-origin (a form type sent to /api/ without the cookie is left to
 * jsonOnly, which tells the caller to send JSON). Another port of the same host or a sibling
 * subdomain is the same *site*, so SameSite=Lax lets the cookie through and same-site is not
 * enough. A request with an Authorization header passes: the cookie plays no part in it, and a
 * browser adds that header to another site's request only if CORS allowed it (the origins of
 * ATES_CORS_ORIGINS, no others).
 */
export function ownPagesOnly(origins: string[]): MiddlewareHandler {
  const allowed = new Set(origins.map((o) => new URL(o).origin))
  return (c, next) => {
    if (SAFE_METHODS.has(c.req.method) || c.req.header('authorization') !== undefined) return next()
    const withCookie = getCookie(c, TOKEN_COOKIE) !== undefined
    // A form sent to the JSON API without the cookie can do nothing: it is told to send JSON (415).
    if (!withCookie && (c.req.path.startsWith('/api/') || !FORM_TYPES.test(c.req.header('content-type') ?? ''))) return next()
    const origin = c.req.header('origin')
    const ours = origin !== undefined ? allowed.has(origin) : c.req.header('sec-fetch-site') === 'same-origin'
    if (!ours) throw new HttpError(403, 'cross_site', 'writes with the cookie, and form posts, are accepted only from aTES pages')
    return next()
  }
}

/** Verifies a token; undefined when it is forged, expired or meant for someone else. */
export function tokenVerifier(options: Pick<AuthOptions, 'jwksUrl' | 'issuer' | 'audience' | 'keys'>) {
  // Cached; refetched when a token names a key id it does not know (after a cooldown).
  const keys = options.keys ?? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 })
  // Checking an EdDSA signature costs more than most reads it guards, and a client sends the
  // same token again and again: a token that verified is remembered by its text until it
  // expires, but at most a minute, so a key withdrawn from the JWKS stops counting soon after.
  // Only the signature is remembered: the account's standing is asked on every request.
  const verified = new Map<string, Verified & { until: number }>()
  return async (token: string): Promise<Verified | undefined> => {
    const known = verified.get(token)
    if (known) {
      if (known.until > Date.now()) return known
      verified.delete(token)
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: [JWT_ALGORITHM],
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'sub', 'iat'],
      })
      const expiresAt = (payload.exp ?? 0) * 1000
      if (!claimsValidator.Check(payload)) return undefined
      const caller: Caller = { id: payload.sub, role: payload.role, name: payload.name }
      const entry = { caller, issuedAt: Math.round(payload.iat * 1000), until: Math.min(expiresAt, Date.now() + REMEMBER_MS) }
      if (verified.size >= REMEMBERED_TOKENS) verified.clear()
      verified.set(token, entry)
      return entry
    } catch {
      return undefined
    }
  }
}

function wantsHtml(c: Context): boolean {
  return !c.req.path.startsWith('/api/')
}

/** Sets c.get('caller'); API routes answer 401 JSON, pages redirect to the login page. */
export function authenticate(options: AuthOptions): MiddlewareHandler<AuthEnv> {
  const verify = tokenVerifier(options)
  return createMiddleware<AuthEnv>(async (c, next) => {
    const token = bearerOrCookie(c)
    const verified = token ? await verify(token) : undefined
    const stale = verified && options.access({ ...verified.caller, issuedAt: verified.issuedAt })
    if (!verified || stale) {
      if (wantsHtml(c)) {
        const url = new URL(c.req.url)
        const back = `${options.selfUrl}${url.pathname}${url.search}`
        return c.redirect(`${options.loginUrl}?return_to=${encodeURIComponent(back)}`, 303)
      }
      const message = stale ? `the token no longer counts (${stale}): log in again` : token ? 'the token is invalid or expired' : 'log in first: send a Bearer token'
      return c.json(errorBody('unauthenticated', message), 401, { 'www-authenticate': 'Bearer' })
    }
    c.set('caller', verified.caller)
    await next()
  })
}

/** 403 unless the caller has one of the roles. */
export function requireRole(...roles: Role[]): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const caller = c.get('caller')
    if (!roles.includes(caller.role)) {
      throw new HttpError(403, 'forbidden', `this needs one of the roles: ${roles.join(', ')}`)
    }
    await next()
  })
}

/** AuthOptions from a worker's context: its config, its name and its Access. */
export function authOptions(ctx: {
  config: Pick<Config, 'publicUrls' | 'authJwksUrl' | 'jwtIssuer' | 'jwtAudience'>
  name: WorkerName
  access: Access
}): AuthOptions {
  const { config } = ctx
  const authUrl = config.publicUrls.auth
  return {
    jwksUrl: config.authJwksUrl ?? `${authUrl}/.well-known/jwks.json`,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    loginUrl: `${authUrl}/login`,
    selfUrl: config.publicUrls[ctx.name],
    access: ctx.access,
  }
}
