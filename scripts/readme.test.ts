// The README's curl session, run as written against a running system: the fenced sh block of
// "Using the API", in bash with -e, its ATES_*_URL pointing at the system's ports and the demo
// accounts `make up` creates.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ADMIN, api, login, startSystem, type System } from '../workers/runtime/testing/system.ts'
import { DEMO_ACCOUNTS, seedAccounts } from './lib/seed.ts'

const run = promisify(execFile)
const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')

/** The first ```sh block of a section of the README. */
function sessionOf(heading: string): string {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`))
  const block = /```sh\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)))
  assert.ok(block, `${heading} holds a sh block`)
  return block[1]!
}

let system: System

before(async () => {
  system = await startSystem()
  await seedAccounts(system.urls.auth, ADMIN)
  await system.settled()
})

after(async () => {
  await system?.stop()
})

test("the README's curl session works as written: log in, create a task, list mine, complete it, read my balance", async () => {
  const session = sessionOf('## Using the API')
  const { stdout } = await run('bash', ['-e', '-o', 'pipefail', '-c', session], {
    env: { ...process.env, ATES_AUTH_URL: system.urls.auth, ATES_TASKS_URL: system.urls.tasks, ATES_BILLING_URL: system.urls.billing },
    timeout: 60_000,
  })
  const pip = DEMO_ACCOUNTS.find((a) => a.email === 'pip@ates.local')!
  const token = await login(system.urls.auth, pip.email, pip.beak)
  const mine = await api<{ tasks: Array<{ task_id: string; title: string; status: string }> }>(`${system.urls.tasks}/api/tasks?assignee=me&status=completed`, token)
  const completed = mine.body.tasks.find((t) => t.title === 'Feed the office parrot')
  assert.ok(completed, `the session completed a task of Pip's:\n${stdout}`)
  assert.match(stdout, new RegExp(`"task_id": "${completed.task_id}"`), 'it listed the task among Pip\'s open ones')
  assert.match(stdout, /"status": "completed"/)
  assert.match(stdout, /"balance": -?\d+/, 'it read the balance')
  await system.settled()
  const account = await api<{ balance: number; entries: Array<{ kind: string; task: { task_id: string } | null }> }>(`${system.urls.billing}/api/accounts/me`, token)
  assert.ok(account.body.entries.some((e) => e.kind === 'completion_reward' && e.task?.task_id === completed.task_id), 'billing credited the reward')
})
