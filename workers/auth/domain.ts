// auth's decisions, pure: login throttling, account changes, where a login may send the
// browser back to.
import type { Role } from '../runtime/auth.ts'

export type Account = {
  account_id: string
  name: string
  email: string
  role: Role
  active: boolean
}

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

// Throttling: too many failed logins for one email lock it for a while.
export const THROTTLE = { maxFailures: 5, windowMs: 5 * 60_000, lockMs: 5 * 60_000 }

export type Attempts = { failures: number[]; lockedUntil: number }

export const noAttempts: Attempts = { failures: [], lockedUntil: 0 }

export type LoginGate = { allowed: true } | { allowed: false; retryAfterSeconds: number }

export function loginGate(attempts: Attempts, now: number): LoginGate {
  if (attempts.lockedUntil > now) return { allowed: false, retryAfterSeconds: Math.ceil((attempts.lockedUntil - now) / 1000) }
  return { allowed: true }
}

export function afterFailure(attempts: Attempts, now: number): Attempts {
  const failures = [...attempts.failures.filter((at) => now - at < THROTTLE.windowMs), now]
  if (failures.length >= THROTTLE.maxFailures) return { failures: [], lockedUntil: now + THROTTLE.lockMs }
  return { failures, lockedUntil: attempts.lockedUntil }
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
