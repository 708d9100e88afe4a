// Demo data through the public HTTP API (SPEC §4): accounts in auth, tasks in tasks.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../../workers/runtime/config.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'

export type DemoAccount = { name: string; email: string; role: 'admin' | 'manager' | 'accountant' | 'popug'; beak: string }

export const DEMO_ACCOUNTS: DemoAccount[] = [
  { name: 'Mila Manager', email: 'manager@ates.local', role: 'manager', beak: 'manager-beak' },
  { name: 'Arno Accountant', email: 'accountant@ates.local', role: 'accountant', beak: 'accountant-beak' },
  { name: 'Pip Popug', email: 'pip@ates.local', role: 'popug', beak: 'pip-beak' },
  { name: 'Kesha Popug', email: 'kesha@ates.local', role: 'popug', beak: 'kesha-beak' },
  { name: 'Gosha Popug', email: 'gosha@ates.local', role: 'popug', beak: 'gosha-beak' },
  { name: 'Rio Popug', email: 'rio@ates.local', role: 'popug', beak: 'rio-beak' },
]

const DEMO_TASKS = [
  { title: 'Sharpen the beaks of the night shift', jira_id: 'UBERPOP-101' },
  { title: 'Count the millet in warehouse 3' },
  { title: '[UBERPOP-102] Fix the perch in meeting room B' },
  { title: 'Translate the onboarding song into Parrotese', description: 'Four verses, one chorus.' },
  { title: 'UBERPOP-103 — Audit the seed budget' },
  { title: 'Polish the mirror in the lobby' },
  { title: 'Teach the new popugs to say "ticket"', jira_id: 'UBERPOP-104' },
  { title: 'Reorder cuttlebones' },
]

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 300)}`)
  }
}

async function call(url: string, init: RequestInit & { token?: string }, what: string): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (init.token) headers.authorization = `Bearer ${init.token}`
  const response = await fetch(url, { ...init, headers })
  const text = await response.text()
  if (!response.ok) throw new ApiError(response.status, text, what)
  return text ? JSON.parse(text) : undefined
}

export async function login(authUrl: string, email: string, beak: string): Promise<string> {
  const body = (await call(`${authUrl}/api/login`, { method: 'POST', body: JSON.stringify({ email, beak }) }, `login ${email}`)) as {
    token: string
  }
  return body.token
}

/** Creates the demo accounts that do not exist yet; returns how many were created. */
export async function seedAccounts(authUrl: string, admin: { email: string; beak: string }): Promise<number> {
  const token = await login(authUrl, admin.email, admin.beak)
  let created = 0
  for (const account of DEMO_ACCOUNTS) {
    try {
      await call(`${authUrl}/api/accounts`, { method: 'POST', body: JSON.stringify(account), token }, `create ${account.email}`)
      created++
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error
    }
  }
  return created
}

/**
 * Each demo popug creates tasks (assigned at random by tasks). Retries while tasks has not
 * yet seen the new accounts (409: nobody to assign).
 */
export async function seedTasks(authUrl: string, tasksUrl: string, perPopug = 2): Promise<number> {
  const popugs = DEMO_ACCOUNTS.filter((a) => a.role === 'popug')
  let created = 0
  for (const [index, popug] of popugs.entries()) {
    const token = await login(authUrl, popug.email, popug.beak)
    for (let i = 0; i < perPopug; i++) {
      const task = DEMO_TASKS[(index * perPopug + i) % DEMO_TASKS.length]!
      for (let attempt = 0; ; attempt++) {
        try {
          await call(`${tasksUrl}/api/tasks`, { method: 'POST', body: JSON.stringify(task), token }, `create task "${task.title}"`)
          created++
          break
        } catch (error) {
          if (!(error instanceof ApiError && error.status === 409) || attempt >= 50) throw error
          await new Promise((r) => setTimeout(r, 200))
        }
      }
    }
  }
  return created
}

export function credentialsTable(admin: { email: string; beak: string }): string[] {
  return [
    `  admin       ${admin.email} / ${admin.beak}`,
    ...DEMO_ACCOUNTS.map((a) => `  ${a.role.padEnd(11)} ${a.email} / ${a.beak}`),
  ]
}

/** The demo accounts, once per data dir (a marker file remembers it); says what it did. */
export async function seedOnce(config: Config, dataDir: string): Promise<string> {
  const marker = join(dataDir, 'demo-seeded')
  if (existsSync(marker)) return 'demo accounts: created on an earlier start'
  const auth = config.publicUrls.auth
  await waitFor(async () => (await fetch(`${auth}/healthz`).catch(() => undefined))?.ok === true, 'auth to start', 60_000)
  const created = await seedAccounts(auth, { email: config.adminEmail, beak: config.adminBeak })
  writeFileSync(marker, `${new Date().toISOString()}\n`)
  return `demo accounts created: ${created}`
}
