// Every worker's OpenAPI document holds for real answers: a running system is walked route by
// route, each success and each documented error is provoked, and every answer is checked
// against the document that worker serves. A (route, status) the document lists but the walk
// never saw fails the test, unless it is excused below with the reason.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { ANALYTICS_API } from '../contracts/http/analytics.ts'
import { AUDIT_API } from '../contracts/http/audit.ts'
import { AUTH_API } from '../contracts/http/auth.ts'
import { BILLING_API } from '../contracts/http/billing.ts'
import { CLOSE_API } from '../contracts/http/close.ts'
import { errorsOf, isPage, type Operation, type WorkerApi } from '../contracts/http/openapi.ts'
import { TASKS_API } from '../contracts/http/tasks.ts'
import { WORKERS, type WorkerName } from './runtime/config.ts'
import { ApiWalk, type Call } from './runtime/testing/api-walk.ts'
import { ADMIN, api, login, startSystem, type System } from './runtime/testing/system.ts'
import { THROTTLES } from './auth/domain.ts'

const APIS: Record<WorkerName, WorkerApi> = { auth: AUTH_API, tasks: TASKS_API, billing: BILLING_API, close: CLOSE_API, analytics: ANALYTICS_API, audit: AUDIT_API }

/** What the walk cannot provoke on a healthy system, and why. */
const EXCUSED = new Map([['auth get /readyz 503', 'auth has no consumer to fall behind; only losing NATS or its database makes it not ready']])

type Person = { id: string; email: string; beak: string; token: string }
type Cast = { admin: Person; manager: Person; accountant: Person; pip: Person; kesha: Person }

let system: System
let walk: ApiWalk
let cast: Cast

before(async () => {
  system = await startSystem()
  walk = new ApiWalk(system.urls)
  await walk.load(WORKERS)
})

after(async () => {
  await system?.stop()
})

/** Creates tasks until one lands on the popug (every eligible account is drawn among). */
async function taskOf(popug: Person): Promise<string> {
  const mine = await api<{ tasks: Array<{ task_id: string }> }>(`${system.urls.tasks}/api/tasks?assignee=me&status=open&limit=1`, popug.token)
  if (mine.body.tasks[0]) return mine.body.tasks[0].task_id
  for (let attempt = 0; attempt < 100; attempt++) {
    const made = await api<{ task_id: string; assignee_id: string }>(`${system.urls.tasks}/api/tasks`, popug.token, { body: { title: `[UBERPOP-${attempt}] Walk task` } })
    assert.equal(made.status, 201)
    if (made.body.assignee_id === popug.id) return made.body.task_id
  }
  throw new Error(`no task went to ${popug.email}`)
}

let seq = 0
const unique = () => `${Date.now().toString(36)}-${++seq}`

/** The request that succeeds for each operation, and the status it answers. */
async function successes(): Promise<Array<[Call, number]>> {
  const { admin, manager, accountant, pip } = cast
  const ops: Array<[Call, number]> = []
  for (const worker of WORKERS) {
    ops.push(
      [{ worker, method: 'GET', route: '/healthz' }, 200],
      [{ worker, method: 'GET', route: '/readyz' }, 200],
      [{ worker, method: 'GET', route: '/metrics' }, 200],
      [{ worker, method: 'GET', route: '/openapi.json' }, 200],
      [{ worker, method: 'GET', route: '/api-docs' }, 200],
      [{ worker, method: 'GET', route: '/api-docs/:file', path: '/api-docs/swagger-ui.css' }, 200],
    )
  }
  const spare = await api<{ account_id: string }>(`${system.urls.auth}/api/accounts`, admin.token, { body: { name: 'Spare', email: `spare-${unique()}@ates.test`, role: 'popug', beak: 'spare-beak-123' } })
  const own = await taskOf(pip)
  return [
    ...ops,
    [{ worker: 'auth', method: 'POST', route: '/api/login', json: { email: ADMIN.email, beak: ADMIN.beak } }, 200],
    [{ worker: 'auth', method: 'GET', route: '/api/me', token: pip.token }, 200],
    [{ worker: 'auth', method: 'GET', route: '/api/accounts', token: admin.token }, 200],
    [{ worker: 'auth', method: 'POST', route: '/api/accounts', token: admin.token, json: { name: 'Walker', email: `walker-${unique()}@ates.test`, role: 'popug', beak: 'walker-beak' } }, 201],
    [{ worker: 'auth', method: 'PATCH', route: '/api/accounts/:id', path: `/api/accounts/${spare.body.account_id}`, token: admin.token, json: { name: 'Spare Two' } }, 200],
    [{ worker: 'auth', method: 'GET', route: '/.well-known/jwks.json' }, 200],
    [{ worker: 'auth', method: 'GET', route: '/login', path: `/login?return_to=${encodeURIComponent(`${system.urls.tasks}/`)}` }, 200],
    [{ worker: 'auth', method: 'POST', route: '/login', form: { email: pip.email, beak: pip.beak, return_to: `${system.urls.tasks}/` } }, 303],
    [{ worker: 'auth', method: 'POST', route: '/logout', form: {} }, 303],
    [{ worker: 'auth', method: 'GET', route: '/', token: admin.token }, 200],
    [{ worker: 'auth', method: 'POST', route: '/accounts', token: admin.token, form: { name: 'Form', email: `form-${unique()}@ates.test`, role: 'popug', beak: 'form-beak-123' } }, 303],
    [{ worker: 'auth', method: 'POST', route: '/accounts/:id', path: `/accounts/${spare.body.account_id}`, token: admin.token, form: { active: 'true' } }, 303],

    [{ worker: 'tasks', method: 'POST', route: '/api/tasks', token: pip.token, json: { title: '[UBERPOP-7] Walk the document', description: 'every route' } }, 201],
    [{ worker: 'tasks', method: 'GET', route: '/api/tasks', path: '/api/tasks?assignee=me&status=open&limit=5', token: pip.token }, 200],
    [{ worker: 'tasks', method: 'GET', route: '/api/tasks/:id', path: `/api/tasks/${own}`, token: pip.token }, 200],
    [{ worker: 'tasks', method: 'POST', route: '/api/tasks/:id/complete', path: `/api/tasks/${own}/complete`, token: pip.token }, 200],
    [{ worker: 'tasks', method: 'GET', route: '/', token: pip.token }, 200],
    [{ worker: 'tasks', method: 'POST', route: '/tasks', token: pip.token, form: { title: 'From the form' } }, 303],
    [{ worker: 'tasks', method: 'POST', route: '/tasks/:id/complete', path: `/tasks/${own}/complete`, token: pip.token, form: {} }, 303],
    [{ worker: 'tasks', method: 'GET', route: '/reassign', token: manager.token }, 200],
    [{ worker: 'tasks', method: 'POST', route: '/reassign', token: manager.token, form: {} }, 303],
    [{ worker: 'tasks', method: 'POST', route: '/api/tasks/reassign', token: manager.token }, 200],

    [{ worker: 'billing', method: 'GET', route: '/api/accounts/me', token: pip.token }, 200],
    [{ worker: 'billing', method: 'GET', route: '/api/accounts/:id', path: `/api/accounts/${pip.id}?limit=1`, token: accountant.token }, 200],
    [{ worker: 'billing', method: 'GET', route: '/api/accounts', token: accountant.token }, 200],
    [{ worker: 'billing', method: 'GET', route: '/api/management/earnings', token: admin.token }, 200],
    [{ worker: 'billing', method: 'GET', route: '/', token: pip.token }, 200],

    [{ worker: 'analytics', method: 'GET', route: '/api/analytics/today', token: admin.token }, 200],
    [{ worker: 'analytics', method: 'GET', route: '/api/analytics/days', token: admin.token }, 200],
    [{ worker: 'analytics', method: 'GET', route: '/api/analytics/most-expensive', path: '/api/analytics/most-expensive?period=month', token: admin.token }, 200],
    [{ worker: 'analytics', method: 'GET', route: '/', token: admin.token }, 200],

    [{ worker: 'audit', method: 'GET', route: '/api/differences', token: accountant.token }, 200],
    [{ worker: 'audit', method: 'GET', route: '/', token: admin.token }, 200],

    [{ worker: 'close', method: 'GET', route: '/api/closes', token: admin.token }, 200],
    [{ worker: 'close', method: 'GET', route: '/', token: admin.token }, 200],
    [{ worker: 'close', method: 'POST', route: '/closes', token: admin.token, form: {} }, 303],
  ]
}

/** The errors every route of its kind answers, provoked from the request that succeeds. */
function sharedErrors(op: Operation, ok: Call): Array<[Call, number]> {
  const errors = errorsOf(op)
  const calls: Array<[Call, number]> = []
  const anonymous = { ...ok, token: undefined }
  const page = isPage(op)
  if (errors[401]?.includes('unauthenticated')) calls.push([anonymous, 401])
  if (page && op.access !== 'public' && ok.route !== '/login') calls.push([anonymous, 303])
  if (Array.isArray(op.access) && !op.access.includes('popug')) calls.push([{ ...ok, token: cast.pip.token }, 403])
  const bare = { worker: ok.worker, method: ok.method, route: ok.route, path: ok.path, token: ok.token }
  if (errors[413]) calls.push([{ ...bare, raw: { type: 'application/json', body: JSON.stringify({ title: 'x'.repeat(70_000) }) } }, 413])
  if (errors[415]) calls.push([{ ...bare, raw: { type: 'application/x-www-form-urlencoded', body: 'title=Form%20data' } }, 415])
  if (errors[400]) calls.push([{ ...bare, raw: { type: 'application/json', body: '{"title": ' } }, 400])
  if (!page && errors[422]?.includes('invalid')) {
    const path = ok.path ?? ok.route
    calls.push([op.query ? { ...bare, path: `${path}${path.includes('?') ? '&' : '?'}colour=red` } : { ...bare, json: { colour: 'red' } }, 422])
  }
  return calls
}

function operationOf(call: Call): Operation {
  const op = APIS[call.worker].operations.find((o) => o.path === call.route && o.method === call.method.toLowerCase())
  assert.ok(op, `${call.worker} describes ${call.method} ${call.route}`)
  return op
}

test('with open tasks and nobody to take them, a task and a reshuffle are refused with the documented 409', async () => {
  const admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  await walk.expect({ worker: 'tasks', method: 'POST', route: '/api/tasks', token: admin, json: { title: 'Nobody can take it' } }, 409)
  const temp = await api<{ account_id: string }>(`${system.urls.auth}/api/accounts`, admin, { body: { name: 'Temp', email: 'temp@ates.test', role: 'popug', beak: 'temp-beak-123' } })
  await system.settled()
  assert.equal((await api(`${system.urls.tasks}/api/tasks`, admin, { body: { title: 'Left open' } })).status, 201)
  assert.equal((await api(`${system.urls.auth}/api/accounts/${temp.body.account_id}`, admin, { method: 'PATCH', body: { active: false } })).status, 200)
  await system.settled()
  await walk.expect({ worker: 'tasks', method: 'POST', route: '/api/tasks/reassign', token: admin }, 409)
})

test('every route answers what its document says: each success and each documented error', async () => {
  const admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  const adminId = (await api<{ account_id: string }>(`${system.urls.auth}/api/me`, admin)).body.account_id
  const hire = async (name: string, role: string): Promise<Person> => {
    const email = `${name}@ates.test`
    const beak = `${name}-beak-secret`
    const made = await api<{ account_id: string }>(`${system.urls.auth}/api/accounts`, admin, { body: { name, email, role, beak } })
    assert.equal(made.status, 201)
    return { id: made.body.account_id, email, beak, token: await login(system.urls.auth, email, beak) }
  }
  cast = {
    admin: { id: adminId, email: ADMIN.email, beak: ADMIN.beak, token: admin },
    manager: await hire('mila', 'manager'),
    accountant: await hire('arno', 'accountant'),
    pip: await hire('pip', 'popug'),
    kesha: await hire('kesha', 'popug'),
  }
  await system.settled()
  // A task of each popug, one completed: billing and analytics then have entries, rewards and a most expensive task.
  await taskOf(cast.kesha)
  const done = await taskOf(cast.pip)
  assert.equal((await api(`${system.urls.tasks}/api/tasks/${done}/complete`, cast.pip.token, { method: 'POST' })).status, 200)
  const closeNow: Call = { worker: 'close', method: 'POST', route: '/api/closes', token: admin }
  await walk.expect(closeNow, 202)
  await system.settled()
  await walk.expect(closeNow, 409)
  for (const [error, status] of sharedErrors(operationOf(closeNow), closeNow)) await walk.expect(error, status)
  await system.settled()

  for (const [call, status] of await successes()) {
    await walk.expect(call, status)
    for (const [error, errorStatus] of sharedErrors(operationOf(call), call)) await walk.expect(error, errorStatus)
  }

  const { pip, kesha, accountant } = cast
  const nobody = crypto.randomUUID()
  // Each operation's own refusals.
  await walk.expect({ worker: 'auth', method: 'POST', route: '/api/accounts', token: admin, json: { name: 'Twin', email: pip.email, role: 'popug', beak: 'twin-beak-123' } }, 409)
  await walk.expect({ worker: 'auth', method: 'PATCH', route: '/api/accounts/:id', path: `/api/accounts/${nobody}`, token: admin, json: { active: false } }, 404)
  await walk.expect({ worker: 'auth', method: 'GET', route: '/api/accounts', path: '/api/accounts?cursor=bm90LWEtY3Vyc29y', token: admin }, 422)
  await walk.expect({ worker: 'tasks', method: 'GET', route: '/api/tasks/:id', path: `/api/tasks/${nobody}`, token: pip.token }, 404)
  await walk.expect({ worker: 'tasks', method: 'POST', route: '/api/tasks/:id/complete', path: `/api/tasks/${nobody}/complete`, token: pip.token }, 404)
  // Looked up again: the reshuffles among the successes may have given kesha's task to pip.
  const keshas = await taskOf(cast.kesha)
  await walk.expect({ worker: 'tasks', method: 'POST', route: '/api/tasks/:id/complete', path: `/api/tasks/${keshas}/complete`, token: pip.token }, 403)
  await walk.expect({ worker: 'tasks', method: 'POST', route: '/api/tasks/:id/complete', path: `/api/tasks/${done}/complete`, token: pip.token }, 409)
  await walk.expect({ worker: 'tasks', method: 'GET', route: '/', path: '/?cursor=bm90LWEtY3Vyc29y', token: pip.token }, 422)
  await walk.expect({ worker: 'billing', method: 'GET', route: '/api/accounts/:id', path: `/api/accounts/${kesha.id}`, token: pip.token }, 403)
  await walk.expect({ worker: 'billing', method: 'GET', route: '/api/accounts/:id', path: '/api/accounts/not-an-id', token: accountant.token }, 422)
  await walk.expect({ worker: 'billing', method: 'GET', route: '/', path: `/?account=${kesha.id}`, token: pip.token }, 403)
  await walk.expect({ worker: 'billing', method: 'GET', route: '/', path: '/?day=tomorrow', token: pip.token }, 422)
  await walk.expect({ worker: 'billing', method: 'GET', route: '/api/management/earnings', path: '/api/management/earnings?from=2026-02-01&to=2026-01-01', token: admin }, 422)
  await walk.expect({ worker: 'analytics', method: 'GET', route: '/api/analytics/days', path: '/api/analytics/days?from=2026-02-01&to=2026-01-01', token: admin }, 422)
  for (const worker of WORKERS) {
    await walk.expect({ worker, method: 'GET', route: '/api-docs/:file', path: '/api-docs/nothing.js' }, 404)
    if (worker !== 'auth') await walk.expect({ worker, method: 'GET', route: '/readyz', path: '/readyz?max_lag=-1' }, 503)
  }
  // Failed logins last: past the free ones, this address waits before it may try again.
  await walk.expect({ worker: 'auth', method: 'POST', route: '/api/login', json: { email: kesha.email, beak: 'not-the-beak' } }, 401)
  await walk.expect({ worker: 'auth', method: 'POST', route: '/login', form: { email: kesha.email, beak: 'not-the-beak', return_to: '/' } }, 401)
  for (let i = 0; i < THROTTLES.client.free; i++) await walk.send({ worker: 'auth', method: 'POST', route: '/api/login', json: { email: kesha.email, beak: 'not-the-beak' } })
  await walk.expect({ worker: 'auth', method: 'POST', route: '/api/login', json: { email: kesha.email, beak: 'not-the-beak' } }, 429)
  await walk.expect({ worker: 'auth', method: 'POST', route: '/login', form: { email: kesha.email, beak: 'not-the-beak', return_to: '/' } }, 429)

  // Only a standby instance, or one whose broker is out of reach or slow, answers these:
  // scripts/faults/second-instance.test.ts checks a standby's answers against these documents,
  // scripts/faults/storage.test.ts a write refused with the broker out of reach.
  const elsewhere = (key: string) => / 50[34]$/.test(key) && !key.endsWith(' /readyz 503')
  assert.deepEqual(walk.unseen(EXCUSED).filter((key) => !elsewhere(key)), [], 'documented answers the walk never saw')
})

test('each worker serves the document generated from its contract, and its reference page', async () => {
  for (const worker of WORKERS) {
    const document = walk.documents.get(worker)!
    assert.equal(document.openapi, '3.1.0')
    const operations = APIS[worker].operations
    assert.equal(Object.values(document.paths).reduce((n, methods) => n + Object.keys(methods).length, 0), operations.length, `${worker}: one operation per route`)
    const page = await fetch(`${system.urls[worker]}/api-docs`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/)
    const html = await page.text()
    assert.doesNotMatch(html, /<script>|<script [^>]*>[^<]/, 'no inline script')
    for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      assert.ok(src[1]!.startsWith('/api-docs/'), `${src[1]} is one of the page's own files`)
      assert.equal((await fetch(`${system.urls[worker]}${src[1]}`)).status, 200, `${worker} serves ${src[1]}`)
    }
  }
})
