// Every HTTP route of every worker (README, "HTTP edges"; each worker's /openapi.json) with who may pass: one row per
// route, the status each caller should get. APIs answer strangers 401; pages send them to
// the login page (303); public routes answer everyone alike.
import type { Role } from '../../workers/runtime/auth.ts'
import type { WorkerName } from '../../workers/runtime/config.ts'
import { ROLES } from './callers.ts'

export type Knock = { path: string; json?: unknown; form?: Record<string, string> }

export type Door = {
  worker: WorkerName
  method: 'GET' | 'POST' | 'PATCH'
  route: string
  /** Roles that pass with `ok`; the other roles get `refused`. 'anyone' passes strangers too. */
  allow: readonly Role[] | 'anyone'
  ok: number
  refused?: number
  /** What a caller without a valid token gets (ignored for 'anyone'). */
  strangers?: number
  /** What an allowed caller gets when it has passed once already, if not `ok` (a second close of a day). */
  again?: number
  /** The request itself, built when the row is tried (ids, unique bodies). */
  knock?: (n: number) => Knock | Promise<Knock>
}

export type Targets = {
  popugId: string
  otherPopugId: string
  popugEmail: string
  popugBeak: string
  /** An account the matrix may rename. */
  spareAccountId: string
  anyTaskId: string
  /** An open task assigned to the popug, found when asked. */
  popugTask: () => Promise<string>
}

const API = 401
const PAGE = 303

export function doors(t: Targets): Door[] {
  const staff = ['admin', 'accountant'] as const
  const newAccount = (n: number) => ({ name: `Matrix ${n}`, email: `matrix-${n}@ates.test`, role: 'manager', beak: 'matrix-beak-123' })
  const ops = (['auth', 'tasks', 'billing', 'analytics', 'close', 'audit'] as const).flatMap((worker) => [
    ...['/healthz', '/readyz', '/metrics', '/openapi.json', '/api-docs'].map((route): Door => ({ worker, method: 'GET', route, allow: 'anyone', ok: 200 })),
    { worker, method: 'GET', route: '/api-docs/:file', allow: 'anyone', ok: 200, knock: () => ({ path: '/api-docs/start.js' }) } satisfies Door,
  ])
  return [
    { worker: 'auth', method: 'GET', route: '/.well-known/jwks.json', allow: 'anyone', ok: 200 },
    { worker: 'auth', method: 'POST', route: '/api/login', allow: 'anyone', ok: 200, knock: () => ({ path: '/api/login', json: { email: t.popugEmail, beak: t.popugBeak } }) },
    { worker: 'auth', method: 'GET', route: '/api/me', allow: ROLES, ok: 200, strangers: API },
    { worker: 'auth', method: 'GET', route: '/api/accounts', allow: ['admin'], ok: 200, strangers: API },
    { worker: 'auth', method: 'POST', route: '/api/accounts', allow: ['admin'], ok: 201, strangers: API, knock: (n) => ({ path: '/api/accounts', json: newAccount(n) }) },
    { worker: 'auth', method: 'PATCH', route: '/api/accounts/:id', allow: ['admin'], ok: 200, strangers: API, knock: (n) => ({ path: `/api/accounts/${t.spareAccountId}`, json: { name: `Spare ${n}` } }) },
    { worker: 'auth', method: 'GET', route: '/login', allow: 'anyone', ok: 200 },
    { worker: 'auth', method: 'POST', route: '/login', allow: 'anyone', ok: 303, knock: () => ({ path: '/login', form: { email: t.popugEmail, beak: t.popugBeak, return_to: '/' } }) },
    { worker: 'auth', method: 'POST', route: '/logout', allow: 'anyone', ok: 303, knock: () => ({ path: '/logout', form: {} }) },
    { worker: 'auth', method: 'GET', route: '/', allow: ['admin'], ok: 200, strangers: PAGE },
    { worker: 'auth', method: 'POST', route: '/accounts', allow: ['admin'], ok: 303, strangers: PAGE, knock: (n) => ({ path: '/accounts', form: newAccount(n) }) },
    { worker: 'auth', method: 'POST', route: '/accounts/:id', allow: ['admin'], ok: 303, strangers: PAGE, knock: () => ({ path: `/accounts/${t.spareAccountId}`, form: { active: 'true' } }) },

    { worker: 'tasks', method: 'POST', route: '/api/tasks', allow: ROLES, ok: 201, strangers: API, knock: (n) => ({ path: '/api/tasks', json: { title: `Matrix task ${n}` } }) },
    { worker: 'tasks', method: 'GET', route: '/api/tasks', allow: ROLES, ok: 200, strangers: API },
    { worker: 'tasks', method: 'GET', route: '/api/tasks/:id', allow: ROLES, ok: 200, strangers: API, knock: () => ({ path: `/api/tasks/${t.anyTaskId}` }) },
    { worker: 'tasks', method: 'POST', route: '/api/tasks/:id/complete', allow: ['popug'], ok: 200, strangers: API, knock: async () => ({ path: `/api/tasks/${await t.popugTask()}/complete`, json: {} }) },
    { worker: 'tasks', method: 'POST', route: '/api/tasks/reassign', allow: ['admin', 'manager'], ok: 200, strangers: API, knock: () => ({ path: '/api/tasks/reassign', json: {} }) },
    { worker: 'tasks', method: 'GET', route: '/', allow: ROLES, ok: 200, strangers: PAGE },
    { worker: 'tasks', method: 'POST', route: '/tasks', allow: ROLES, ok: 303, strangers: PAGE, knock: (n) => ({ path: '/tasks', form: { title: `Form task ${n}` } }) },
    { worker: 'tasks', method: 'POST', route: '/tasks/:id/complete', allow: ROLES, ok: 303, strangers: PAGE, knock: () => ({ path: `/tasks/${t.anyTaskId}/complete`, form: {} }) },
    { worker: 'tasks', method: 'GET', route: '/reassign', allow: ['admin', 'manager'], ok: 200, strangers: PAGE },
    { worker: 'tasks', method: 'POST', route: '/reassign', allow: ['admin', 'manager'], ok: 303, strangers: PAGE, knock: () => ({ path: '/reassign', form: {} }) },

    { worker: 'billing', method: 'GET', route: '/api/accounts/me', allow: ROLES, ok: 200, strangers: API },
    { worker: 'billing', method: 'GET', route: '/api/accounts/:id (the popug)', allow: [...staff, 'popug'], ok: 200, strangers: API, knock: () => ({ path: `/api/accounts/${t.popugId}` }) },
    { worker: 'billing', method: 'GET', route: '/api/accounts/:id (another popug)', allow: staff, ok: 200, strangers: API, knock: () => ({ path: `/api/accounts/${t.otherPopugId}` }) },
    { worker: 'billing', method: 'GET', route: '/api/accounts', allow: staff, ok: 200, strangers: API },
    { worker: 'billing', method: 'GET', route: '/api/management/earnings', allow: staff, ok: 200, strangers: API },
    { worker: 'billing', method: 'GET', route: '/', allow: ROLES, ok: 200, strangers: PAGE },

    { worker: 'analytics', method: 'GET', route: '/api/analytics/today', allow: ['admin'], ok: 200, strangers: API },
    { worker: 'analytics', method: 'GET', route: '/api/analytics/days', allow: ['admin'], ok: 200, strangers: API },
    { worker: 'analytics', method: 'GET', route: '/api/analytics/most-expensive', allow: ['admin'], ok: 200, strangers: API, knock: () => ({ path: '/api/analytics/most-expensive?period=week' }) },
    { worker: 'analytics', method: 'GET', route: '/', allow: ['admin'], ok: 200, strangers: PAGE },

    { worker: 'close', method: 'GET', route: '/api/closes', allow: ['admin'], ok: 200, strangers: API },
    { worker: 'close', method: 'POST', route: '/api/closes', allow: ['admin'], ok: 202, again: 409, strangers: API, knock: () => ({ path: '/api/closes', json: {} }) },
    { worker: 'close', method: 'POST', route: '/closes', allow: ['admin'], ok: 303, strangers: PAGE, knock: () => ({ path: '/closes', form: {} }) },
    { worker: 'close', method: 'GET', route: '/', allow: ['admin'], ok: 200, strangers: PAGE },

    { worker: 'audit', method: 'GET', route: '/api/differences', allow: staff, ok: 200, strangers: API },
    { worker: 'audit', method: 'GET', route: '/', allow: staff, ok: 200, strangers: PAGE },
    ...ops,
  ]
}
