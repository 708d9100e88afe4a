// The API reference page in a real Chromium: it renders every operation of the worker's document
// from the worker's own files alone (nothing asked of another host), under its own
// Content-Security-Policy without a violation, and is photographed into .screenshots/.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { TASKS_API } from '../contracts/http/tasks.ts'
import { launchChromium, screenshot } from './runtime/testing/browser.ts'
import { startSystem, type System } from './runtime/testing/system.ts'

let system: System
let browser: Browser

before(async () => {
  system = await startSystem({ workers: ['auth', 'tasks'] })
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await system?.stop()
})

test("tasks' reference page shows every operation, from its own files, under its CSP", async () => {
  const origin = new URL(system.urls.tasks).origin
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  const problems: string[] = []
  const elsewhere: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(error.message))
  // Offline: a request to any other host would fail; it is recorded and refused.
  await page.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue()
    elsewhere.push(url)
    return route.abort()
  })

  await page.goto(`${system.urls.tasks}/api-docs`)
  const operations = page.locator('.opblock')
  await operations.first().waitFor()
  assert.equal(await operations.count(), TASKS_API.operations.length, 'one block per operation')
  assert.match(await page.locator('.info .title').innerText(), /aTES tasks/)

  // Open the task creation: its body and its answers, as the document gives them.
  await page.locator('#operations-tasks-createTask').locator('.opblock-summary').click()
  const createTask = page.locator('#operations-tasks-createTask')
  await createTask.locator('.responses-table').first().waitFor()
  const text = await createTask.innerText()
  for (const status of ['201', '401', '409', '413', '415', '422']) assert.match(text, new RegExp(`\\b${status}\\b`), `the ${status} answer is shown`)
  assert.match(text, /no_assignee/)
  await screenshot(page, 'api-reference-tasks')

  assert.deepEqual(problems, [], 'no errors and no CSP violations')
  assert.deepEqual(elsewhere, [], 'nothing asked of another host')
  await context.close()
})
