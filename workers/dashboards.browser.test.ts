// The dashboards in a real Chromium, across the whole system (nats-server and every worker as
// processes): each role logs in through auth's login page and does what they came for, in
// the order a day at UberPopug would go. Every dashboard each role may open is photographed
// into .screenshots/ for a person to look at.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { Role } from './runtime/auth.ts'
import { dollars } from './runtime/views/format.ts'
import { dashboardsFor } from './runtime/views/layout.tsx'
import { cspViolations, launchChromium, logIn, type Person, reloadUntil, screenshot } from './runtime/testing/browser.ts'
import { ADMIN, api, login, startSystem, type System } from './runtime/testing/system.ts'

type Employee = { name: string; email: string; role: Role; beak: string; id?: string }
const pip: Employee = { name: 'Pip Popug', email: 'pip@ates.test', role: 'popug', beak: 'pip-beak-123' }
const kesha: Employee = { name: 'Kesha Popug', email: 'kesha@ates.test', role: 'popug', beak: 'kesha-beak-123' }
const mila: Employee = { name: 'Mila Manager', email: 'mila@ates.test', role: 'manager', beak: 'mila-beak-123' }
const arno: Employee = { name: 'Arno Accountant', email: 'arno@ates.test', role: 'accountant', beak: 'arno-beak-123' }
const admin: Employee = { name: 'Administrator', role: 'admin', ...ADMIN }

type Entry = { kind: string; debit: number; credit: number }
type AccountDay = { balance: number; business_day: string; earned: number; entries: Entry[] }

let system: System
let browser: Browser
let adminToken: string
/** The last one of each role who logged in, for the tour of every dashboard at the end. */
const people = new Map<Role, Person>()
const everyone: Person[] = []
/** What Pip's first task cost and earned, and the day it happened. */
const pips = { fee: 0, reward: 0, day: '' }

/** Creates employees through auth's admin API and waits until every worker knows them. */
async function hire(...employees: Employee[]) {
  for (const e of employees) {
    const created = await api<{ account_id: string }>(`${system.urls.auth}/api/accounts`, adminToken, { body: e })
    assert.equal(created.status, 201)
    e.id = created.body.account_id
  }
  await system.settled()
}

async function open(url: string, who: Employee, viewport?: { width: number; height: number }): Promise<Page> {
  const person = await logIn(browser, url, who.email, who.beak, viewport)
  people.set(who.role, person)
  everyone.push(person)
  return person.page
}

const mainText = (page: Page) => page.locator('main').innerText()
const navOf = async (page: Page) => (await page.locator('header nav a').allInnerTexts()).join(', ')
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** "Label" followed by a value, as a stat reads. */
const stat = (label: string, value: string) => new RegExp(`${escaped(label)}\\s*${escaped(value)}`)

before(async () => {
  // The schedule stays out of the way: the admin closes the day by hand.
  system = await startSystem({ env: { ATES_CLOSE_CRON: '0 0 1 1 *' } })
  browser = await launchChromium()
  adminToken = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  // Until the others are hired, Pip is the only one a task can go to.
  await hire(pip, mila)
})

after(async () => {
  await Promise.all(everyone.map((p) => p.close()))
  await browser?.close()
  await system?.stop()
})

describe('dashboards in a browser', () => {
  test('a popug creates a task, finds it among their tasks, completes it and sees the reward in accounting', async () => {
    const page = await open(`${system.urls.tasks}/`, pip)
    assert.equal(await navOf(page), 'Tasks, Accounting')
    assert.equal(await page.getByRole('link', { name: 'Reassign open tasks' }).count(), 0, 'no reassignment for a popug')
    await page.getByLabel('Title').fill('Polish the beak')
    await page.getByLabel(/Jira id/).fill('UBERPOP-42')
    await page.getByLabel('Description').fill('until it shines')
    await page.getByRole('button', { name: 'Create task' }).click()
    await page.getByText('Created "Polish the beak" and assigned it to Pip Popug.').waitFor()
    const mine = page.locator('section', { has: page.getByRole('heading', { name: /My open tasks/ }) })
    assert.match(await mine.innerText(), /My open tasks \(1\)[\s\S]*\[UBERPOP-42\] Polish the beak[\s\S]*until it shines/)
    await screenshot(page, 'tasks-popug-created')

    await page.getByRole('link', { name: 'Accounting', exact: true }).click()
    const charged = await reloadUntil(page, (t) => t.includes('Assignment fee'), "the assignment fee in Pip's audit log")
    assert.match(charged, /Assignment fee\s+\[UBERPOP-42\] Polish the beak/)

    await page.getByRole('link', { name: 'Tasks', exact: true }).click()
    await mine.getByRole('button', { name: 'Complete' }).click()
    await page.getByText('Completed "Polish the beak".').waitFor()
    assert.match(await mine.innerText(), /My open tasks \(0\)/)

    await page.getByRole('link', { name: 'Accounting', exact: true }).click()
    const rewarded = await reloadUntil(page, (t) => t.includes('Completion reward'), "the completion reward in Pip's audit log")
    const response = await page.request.get(`${system.urls.billing}/api/accounts/me`)
    const day = (await response.json()) as AccountDay
    pips.fee = day.entries.find((e) => e.kind === 'assign_fee')!.debit
    pips.reward = day.entries.find((e) => e.kind === 'completion_reward')!.credit
    pips.day = day.business_day
    assert.ok(pips.fee >= 1000 && pips.fee <= 2000 && pips.reward >= 2000 && pips.reward <= 4000, `fee ${pips.fee}, reward ${pips.reward}`)
    assert.match(rewarded, new RegExp(`Completion reward\\s+\\[UBERPOP-42\\] Polish the beak\\s+until it shines\\s+${escaped(dollars(pips.reward))}`))
    assert.match(rewarded, stat('Balance now', dollars(pips.reward - pips.fee)))
    assert.match(rewarded, stat(`Earned on ${pips.day}`, dollars(pips.reward - pips.fee)))
    await screenshot(page, 'billing-popug-rewarded')
  })

  test('an accountant sees every account and what the company earned, and is refused analytics', async () => {
    await hire(kesha, arno)
    const page = await open(`${system.urls.billing}/`, arno)
    assert.equal(await navOf(page), 'Tasks, Accounting, Audit')
    const text = await reloadUntil(page, (t) => t.includes('Kesha Popug'), 'every account in the list')
    assert.match(text, stat(`Management earnings on ${pips.day}`, dollars(pips.fee - pips.reward)))
    assert.match(text, new RegExp(`Pip Popug\\s+popug\\s+${escaped(dollars(pips.reward - pips.fee))}`))
    const earnings = await page.request.get(`${system.urls.billing}/api/management/earnings`)
    const days = ((await earnings.json()) as { days: Array<{ business_day: string; management_earnings: number }> }).days
    assert.equal(days.at(-1)!.management_earnings, pips.fee - pips.reward, 'the page and the API agree')

    await page.getByRole('link', { name: 'Pip Popug' }).click()
    const pipsDay = await mainText(page)
    assert.match(pipsDay, /Account of Pip Popug/)
    assert.match(pipsDay, /Completion reward/)
    await screenshot(page, 'billing-accountant-account-of-pip')

    const refused = await page.goto(`${system.urls.analytics}/`)
    assert.equal(refused?.status(), 403)
    assert.match(await mainText(page), /Analytics: not for your role[\s\S]*This needs one of the roles: admin\./)
    await screenshot(page, 'analytics-refused-accountant')
  })

  test('an admin reads analytics, closes the business day, and Pip is paid', async () => {
    const page = await open(`${system.urls.analytics}/`, admin)
    assert.equal(await navOf(page), 'Tasks, Accounting, Analytics, Day close, Audit, Accounts')
    const earned = dollars(pips.fee - pips.reward)
    const text = await reloadUntil(page, (t) => stat(`Management earnings today (${pips.day})`, earned).test(t), "analytics to catch up with billing")
    assert.match(text, stat('Employees below zero', '0'))
    assert.match(text, new RegExp(`Day ${pips.day}\\s+\\[UBERPOP-42\\] Polish the beak — ${escaped(dollars(pips.reward))}`))
    assert.match(text, new RegExp(`Week [\\d-]+ – [\\d-]+\\s+\\[UBERPOP-42\\] Polish the beak — ${escaped(dollars(pips.reward))}`))
    assert.match(text, new RegExp(`Month [\\d-]+ – [\\d-]+\\s+\\[UBERPOP-42\\] Polish the beak — ${escaped(dollars(pips.reward))}`))
    assert.equal(await page.locator(`svg.chart rect title`).filter({ hasText: `${pips.day}: ${earned}` }).count(), 1, 'a bar for the day')
    await page.getByLabel('From', { exact: true }).fill(pips.day)
    await page.getByLabel('to', { exact: true }).fill(pips.day)
    await page.getByRole('button', { name: 'Show' }).click()
    await page.waitForURL(/from=/)
    assert.equal(await page.locator('svg.chart rect').count(), 1, 'one day chosen, one bar')

    await page.getByRole('link', { name: 'Day close', exact: true }).click()
    await page.getByRole('button', { name: 'Close business day now' }).click()
    await page.getByText(`Close of ${pips.day} requested.`).waitFor()
    const paid = pips.reward > pips.fee ? 1 : 0
    const history = await reloadUntil(page, (t) => new RegExp(`${pips.day}.*by Administrator\\s+closed\\s+\\d{4}-`).test(t), 'billing to close the day')
    assert.match(history, new RegExp(`${pips.day}.*by Administrator\\s+closed\\s+[\\d-]+ [\\d:]+\\s+${paid}\\s+${escaped(dollars(pips.reward - pips.fee))}\\s+${escaped(earned)}`))
    await screenshot(page, 'close-admin-closed')

    // The audit has read the day, its close and analytics' figures of it: the money adds up.
    await page.getByRole('link', { name: 'Audit', exact: true }).click()
    const audit = await reloadUntil(page, (t) => t.includes('The money adds up'), 'the audit to catch up with the close')
    assert.match(audit, /no differences\. Checked through \d{4}-\d{2}-\d{2} \d{2}:\d{2}/)
    await screenshot(page, 'audit-admin')

    // Pip opens the closed day with the day picker: the payout is in the audit log, the balance is zero.
    const pipsPage = people.get('popug')!.page
    await pipsPage.goto(`${system.urls.billing}/`)
    const today = await reloadUntil(pipsPage, (t) => !t.includes(`Earned on ${pips.day}`), 'the next business day to open')
    assert.match(today, stat('Balance now', '$0.00'))
    await pipsPage.getByLabel('Day', { exact: true }).fill(pips.day)
    await pipsPage.getByRole('button', { name: 'Show' }).click()
    await pipsPage.waitForURL(new RegExp(`day=${pips.day}`))
    const closedDay = await mainText(pipsPage)
    assert.match(closedDay, stat(`Earned on ${pips.day}`, dollars(pips.reward - pips.fee)))
    if (paid) assert.match(closedDay, new RegExp(`Payout\\s+—\\s+${escaped(dollars(pips.reward - pips.fee))}\\s+\\$0\\.00`))
    else assert.doesNotMatch(closedDay, /Payout/)
    await screenshot(pipsPage, 'billing-popug-closed-day')
  })

  test('a manager reassigns every open task after a confirmation and is told how many', async () => {
    const page = await open(`${system.urls.tasks}/`, mila)
    for (const title of ['Count the millet', 'Fix the perch', 'Sing the onboarding song']) {
      await page.getByLabel('Title').fill(title)
      await page.getByRole('button', { name: 'Create task' }).click()
      await page.getByText(`Created "${title}" and assigned it to`).waitFor()
    }
    await page.getByRole('link', { name: 'Reassign open tasks' }).click()
    assert.match(await mainText(page), /This gives each of the 3 open tasks a new random assignee/)
    await screenshot(page, 'tasks-manager-reassign-confirmation')
    await page.getByRole('button', { name: 'Yes, reassign 3 open tasks' }).click()
    await page.getByText('Reassigned 3 open tasks.').waitFor()
    await page.getByLabel('status').selectOption('open')
    await page.getByRole('button', { name: 'Filter' }).click()
    const openTasks = page.locator('section', { has: page.getByRole('heading', { name: 'All tasks' }) }).locator('tbody tr')
    assert.equal(await openTasks.count(), 3)
    for (const row of await openTasks.allInnerTexts()) assert.match(row, /Pip Popug|Kesha Popug|Arno Accountant/)
  })

  test('a popug may not open another account, analytics, the day close, the audit or account management; a bad day is explained', async () => {
    // Kesha reads the dashboards on a phone.
    const page = await open(`${system.urls.billing}/`, kesha, { width: 390, height: 844 })
    assert.match(await mainText(page), /My account/)

    const refusals: Array<[string, RegExp]> = [
      [`${system.urls.billing}/?account=${pip.id}`, /Only admins and accountants see other employees' accounts\./],
      [`${system.urls.analytics}/`, /This needs one of the roles: admin\./],
      [`${system.urls.close}/`, /This needs one of the roles: admin\./],
      [`${system.urls.audit}/`, /This needs one of the roles: admin, accountant\./],
      [`${system.urls.auth}/`, /Account management is for admins\./],
    ]
    for (const [url, says] of refusals) {
      const response = await page.goto(url)
      assert.equal(response?.status(), 403, url)
      const text = await mainText(page)
      assert.match(text, says)
      assert.doesNotMatch(text, /Pip Popug|Polish the beak/, 'nothing of the refused page leaks')
    }
    await page.goto(`${system.urls.billing}/?account=${pip.id}`)
    await screenshot(page, 'billing-refused-popug')

    const badDay = await page.goto(`${system.urls.billing}/?day=tomorrow`)
    assert.equal(badDay?.status(), 422)
    assert.match(await mainText(page), /Accounting: that did not work[\s\S]*Day must be a date like 2026-11-25/)
  })

  test('a form served by another site cannot make a logged-in browser create a task', async () => {
    const page = people.get('popug')!.page
    const forged = `<form method="post" action="${system.urls.tasks}/tasks"><input name="title" value="Forged task"><button>Win a prize</button></form>`
    const site = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(forged))
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    try {
      await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`)
      const [answer] = await Promise.all([page.waitForResponse(`${system.urls.tasks}/tasks`), page.getByRole('button', { name: 'Win a prize' }).click()])
      assert.equal(answer.status(), 403)
    } finally {
      await new Promise((resolve) => site.close(resolve))
    }
    await page.goto(`${system.urls.tasks}/`)
    assert.doesNotMatch(await mainText(page), /Forged task/)
  })

  test('no other site may frame a dashboard', async () => {
    const page = await people.get('popug')!.context.newPage()
    const said: string[] = []
    page.on('console', (message) => said.push(message.text()))
    const framing = `<iframe src="${system.urls.tasks}/" width="800" height="600"></iframe>`
    const site = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(framing))
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
    try {
      const [framed] = await Promise.all([page.waitForResponse(`${system.urls.tasks}/`), page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`)])
      assert.match(framed.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/)
      const frame = page.frames().find((f) => f !== page.mainFrame())!
      await page.waitForTimeout(500)
      assert.doesNotMatch(await frame.content(), /My open tasks/, 'the dashboard is not shown inside another site')
      assert.ok(said.some((text) => /frame-ancestors 'none'/.test(text)), `Chromium says why: ${said.join(' | ')}`)
    } finally {
      await page.close()
      await new Promise((resolve) => site.close(resolve))
    }
  })

  test('every dashboard each role may open answers, and is photographed', async () => {
    for (const [role, { page }] of people) {
      const urls = dashboardsFor(role).map((d) => `${system.urls[d]}/`)
      assert.equal(await page.locator('header nav a').count(), urls.length, role)
      for (const [i, url] of urls.entries()) {
        const response = await page.goto(url)
        assert.equal(response?.status(), 200, `${role} opens ${url}`)
        const phone = (page.viewportSize()?.width ?? 1000) < 600
        await screenshot(page, `${role}-${dashboardsFor(role)[i]}${phone ? '-phone' : ''}`)
      }
    }
  })

  test("every page carried a CSP without inline script, and every page's own style sheet applied under it", async () => {
    const page = people.get('admin')!.page
    const response = await page.goto(`${system.urls.tasks}/`)
    const csp = response?.headers()['content-security-policy'] ?? ''
    assert.match(csp, /script-src 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    const style = (selector: string, property: string) => page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).${property}`)
    assert.equal(await style('header', 'backgroundColor'), 'rgb(29, 35, 48)', 'the layout is styled')
    assert.equal(await style('#title', 'width'), await style('form:has(#title)', 'width'), 'the title field is as wide as its form')
    assert.deepEqual(cspViolations, [], 'nothing on any page was blocked')
  })

  test('logging out sends the popug to the login page, and the dashboards ask for it again', async () => {
    const page = people.get('popug')!.page
    await page.goto(`${system.urls.tasks}/`)
    await page.getByRole('button', { name: 'Log out' }).click()
    await page.waitForURL(`${system.urls.auth}/login`)
    await screenshot(page, 'login')
    await page.goto(`${system.urls.billing}/`)
    assert.ok(page.url().startsWith(`${system.urls.auth}/login?return_to=`), page.url())
  })
})
