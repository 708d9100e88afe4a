// auth's decisions, pure: login throttling, account changes, where a login may send the
// browser back to.
import type { Account as AccountView } from '../../contracts/http/auth.ts'

/** An account as the API shows it (contracts/http/auth.ts). */
export type Account = AccountView

/** Emails are compared case-insensitively and stored lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export type Refusal =
  | { kind: 'email_taken' }
  | { kind: 'not_found' }
  | { kind: 'invalid_credentials' }
  | { kind: 'throttled'; retryAfterSeconds: number }

export type AccountChange = Partial<Pick<Account, 'name' | 'role' | 'active'>>

/** The account after a change, or undefined when the change changes nothing. */
export function applyChange(account: Account, change: AccountChange): Account | undefined {
  const next = { ...account, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) }
  const changed = next.name !== account.name || next.role !== account.role || next.active !== account.active
  return changed ? next : undefined
}

/** A change of role or activity: the account's tokens from before it stop counting. */
export function changesAccess(before: Account, after: Account): boolean {
  return before.role !== after.role || before.active !== after.active
}

// Login throttling: delays that grow with failures, never a lock. Failures are counted per
// client address (one place guessing beaks, or spraying one beak across accounts) and per
// account (guessing one account's beak from many places). The account's delay is short and
// skipped for an address the account has logged in from before, so a stranger failing on
// purpose cannot keep the owner out; the stranger's own address meanwhile waits longer and
// longer, which also bounds how often the stranger can make the account wait.

export type Throttle = {
  /** Failures that cost nothing. */
  free: number
  /** The wait after the first failure beyond them; each further failure doubles it. */
  firstDelayMs: number
  maxDelayMs: number
  /** A quiet spell after which the failures are forgotten. */
  forgetMs: number
}

export const THROTTLES = {
  client: { free: 10, firstDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetMs: 60 * 60_000 },
  account: { free: 5, firstDelayMs: 1000, maxDelayMs: 60_000, forgetMs: 15 * 60_000 },
} satisfies Record<string, Throttle>

/** How long an address a login succeeded from stays exempt from its account's delay. */
export const KNOWN_ADDRESS_MS = 30 * 24 * 3600_000

/** Recent failures of one client or one account: how many, and the time of the last (ms). */
export type Failures = { count: number; last: number }

/** How long a login must still wait under a throttle (0: it may go ahead). */
export function waitOf(failures: Failures | undefined, throttle: Throttle, now: number): number {
  if (!failures || now - failures.last >= throttle.forgetMs || failures.count <= throttle.free) return 0
  const delay = Math.min(throttle.maxDelayMs, throttle.firstDelayMs * 2 ** (failures.count - throttle.free - 1))
  return Math.max(0, failures.last + delay - now)
}

export function afterFailure(failures: Failures | undefined, throttle: Throttle, now: number): Failures {
  const forgotten = !failures || now - failures.last >= throttle.forgetMs
  return { count: forgotten ? 1 : failures.count + 1, last: now }
}

export type LoginState = {
  client: Failures | undefined
  account: Failures | undefined
  /** When a login to this account last succeeded from this client, if it did. */
  knownSince: number | undefined
}

export type LoginGate = { allowed: true } | { allowed: false; retryAfterSeconds: number }

/** Whether a login may be tried now; a refused one is not counted as a failure. */
export function loginGate(state: LoginState, now: number): LoginGate {
  const known = state.knownSince !== undefined && now - state.knownSince < KNOWN_ADDRESS_MS
  const wait = Math.max(waitOf(state.client, THROTTLES.client, now), known ? 0 : waitOf(state.account, THROTTLES.account, now))
  return wait > 0 ? { allowed: false, retryAfterSeconds: Math.ceil(wait / 1000) } : { allowed: true }
}

/**
 * The key a client address is throttled by: an IPv4 address, or an IPv6 address's /64 (one
 * host is commonly given a whole /64, and would otherwise have 2^64 fresh addresses).
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const front = head ? head.split(':') : []
  const back = tail ? tail.split(':') : []
  const groups = address.includes('::') ? [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back] : front
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

/**
 * Where the browser goes after login: a path on this site, or a page of one of our workers.
 * Anything else (another site, "//evil", "/\\evil", javascript:) goes to "/".
 */
export function safeReturnTo(raw: string | undefined, allowedOrigins: string[]): string {
  if (!raw) return '/'
  if (raw.startsWith('/') && !raw.startsWith('//') && !raw.startsWith('/\\')) return raw
  try {
    const url = new URL(raw)
    const allowed = new Set(allowedOrigins.map((o) => new URL(o).origin))
    if ((url.protocol === 'http:' || url.protocol === 'https:') && allowed.has(url.origin)) return url.href
  } catch {
    // not a URL
  }
  return '/'
}
