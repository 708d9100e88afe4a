// `make replay` against the whole system: analytics, billing and the audit are rebuilt from the
// streams with progress shown, every table comes out identical, and their APIs answer as before.
// Workers whose database is a source of truth are refused.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import type { WorkerName } from '../workers/runtime/config.ts'
import { waitFor } from '../workers/runtime/testing/helpers.ts'
import { ADMIN, allPages, api, login, startSystem, type System } from '../workers/runtime/testing/system.ts'
import { DEMO_ACCOUNTS, seedAccounts, seedTasks } from './lib/seed.ts'

const run = promisify(execFile)
let system: System

before(async () => {
  system = await startSystem()
})
after(async () => {
  await system?.stop()
})

const replay = (worker: string) =>
  run(process.execPath, ['--import', 'tsx', 'scripts/replay.ts', worker], { env: { ...process.env, ...system.env } })

/** The items of billing's paged lists: the accounts, and an account's entries of a day. */
const pagedListOf = (path: string) => (path.startsWith('/api/accounts?') || path === '/api/accounts' ? 'accounts' : path.startsWith('/api/accounts/') ? 'entries' : undefined)

/** What the worker's API answers, for the admin: its paged lists whole; the audit's without the moment it was last caught up. */
async function answers(worker: WorkerName, admin: string, paths: string[]): Promise<unknown[]> {
  return Promise.all(
    paths.map(async (path) => {
      const list = worker === 'billing' ? pagedListOf(path) : undefined
      if (list) return allPages(`${system.urls[worker]}${path}`, admin, list)
      const body = (await api<Record<string, unknown>>(`${system.urls[worker]}${path}`, admin)).body
      return worker === 'audit' ? { ...body, caught_up_at: typeof body.caught_up_at } : body
    }),
  )
}

test('analytics, billing, the audit, tasks and auth rebuilt from the streams answer exactly as before', async () => {
  const { urls } = system
  await seedAccounts(urls.auth, ADMIN)
  await seedTasks(urls.auth, urls.tasks, 4)
  for (const popug of DEMO_ACCOUNTS.filter((a) => a.role === 'popug')) {
    const token = await login(urls.auth, popug.email, popug.beak)
    const open = await api<{ tasks: Array<{ task_id: string }> }>(`${urls.tasks}/api/tasks?assignee=me&status=open`, token)
    for (const task of open.body.tasks.slice(0, 2)) {
      assert.equal((await api(`${urls.tasks}/api/tasks/${task.task_id}/complete`, token, { method: 'POST' })).status, 200)
    }
  }
  const admin = await login(urls.auth, ADMIN.email, ADMIN.beak)
  const closed = await api<{ business_day: string }>(`${urls.close}/api/closes`, admin, { method: 'POST' })
  assert.equal(closed.status, 202)
  await system.settled()
  await seedTasks(urls.auth, urls.tasks, 1) // on the next day
  await system.settled()

  const day = closed.body.business_day
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)
  const paths: Record<'analytics' | 'billing' | 'audit' | 'tasks' | 'auth', string[]> = {
    tasks: ['/api/tasks?limit=200', '/api/tasks?status=open&limit=200'],
    auth: ['/api/accounts?limit=200', '/.well-known/jwks.json'],
    analytics: [
      '/api/analytics/today',
      `/api/analytics/days?from=${day}&to=${next}`,
      `/api/analytics/most-expensive?period=day&date=${day}`,
      `/api/analytics/most-expensive?period=month&date=${day}`,
    ],
    billing: ['/api/accounts', `/api/management/earnings?from=${day}`],
    audit: ['/api/differences'],
  }
  const accounts = (await allPages<{ account_id: string }>(`${urls.billing}/api/accounts`, admin, 'accounts')).items
  for (const account of accounts) paths.billing.push(`/api/accounts/${account.account_id}?day=${day}`, `/api/accounts/${account.account_id}?day=${next}`)

  // The audit judges what it read a moment after: it has caught up once everything is judged.
  await waitFor(async () => (await api<{ caught_up_at: string | null }>(`${urls.audit}/api/differences`, admin)).body.caught_up_at !== null, 'the audit to catch up')
  for (const worker of ['analytics', 'billing', 'audit', 'tasks', 'auth'] as const) {
    const before = await answers(worker, admin, paths[worker])
    await system.stopWorker(worker)
    const { stdout } = await replay(worker)
    assert.match(stdout, /replaying .*\(\d+ events stored\)/)
    assert.match(stdout, /s: \d+ events handled, 0 to go/)
    assert.match(stdout, new RegExp(`${worker} rebuilt in`))
    const tables = [...stdout.matchAll(/^ {2}(\w+) +(\d+) rows {2}(.+)$/gm)]
    assert.ok(tables.length >= 2, stdout)
    for (const [, table, rows, verdict] of tables) assert.equal(verdict, 'identical', `${worker}.${table} (${rows} rows)`)
    assert.ok(tables.some(([, , rows]) => Number(rows) > 0))
    assert.match(stdout, /every table identical to before/)

    await system.start(worker)
    await system.settled()
    if (worker === 'audit') await waitFor(async () => (await api<{ caught_up_at: string | null }>(`${urls.audit}/api/differences`, admin)).body.caught_up_at !== null, 'the rebuilt audit to catch up')
    assert.deepEqual(await answers(worker, admin, paths[worker]), before)
  }
})

test('a running worker, and a worker whose database is the source of truth, are refused', async () => {
  await assert.rejects(replay('analytics'), (error: Error & { stderr: string }) => /analytics is running at .*: stop it first/.test(error.stderr))
  for (const worker of ['close']) {
    await assert.rejects(replay(worker), (error: Error & { stderr: string }) => new RegExp(`${worker} cannot be replayed: .+`).test(error.stderr))
  }
  await assert.rejects(replay('nobody'), (error: Error & { stderr: string }) => /WORKER must be one of/.test(error.stderr))
})
