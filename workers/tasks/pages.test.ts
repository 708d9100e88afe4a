// The dashboard through real HTTP: the login redirect, forms posted as a browser would (the
// token cookie, an Origin header, urlencoded bodies, 303 back to / with a notice), the
// confirmation step before reassigning, and the refusals.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { TOKEN_COOKIE } from '../runtime/auth.ts'
import { startTasks, type TasksFixture } from './testing/fixture.ts'

let f: TasksFixture
// Forms come from an aTES page; the auth worker's origin is one of them.
let origin: string

async function page(path: string, who?: string, form?: Record<string, string>, from = origin) {
  const token = who ? f.accounts[who]!.token : undefined
  const response = await fetch(`${f.tasks.url}${path}`, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      ...(token ? { cookie: `${TOKEN_COOKIE}=${token}` } : {}),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: from } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  })
  return { status: response.status, location: response.headers.get('location'), html: await response.text() }
}

/** The notice or error a redirect back to / carries. */
function noticeOf(location: string | null): { notice?: string; error?: string } {
  const query = new URL(location ?? '', 'http://x').searchParams
  return { ...(query.has('notice') ? { notice: query.get('notice')! } : {}), ...(query.has('error') ? { error: query.get('error')! } : {}) }
}

const rows = () => f.tasks.ctx.store.all(f.tasks.ctx.store.db.selectFrom('tasks').selectAll())

before(async () => {
  f = await startTasks(() => 0)
  origin = new URL(f.issuer.url).origin
  await f.publishAccount('boss', 'admin')
  await f.publishAccount('mila', 'manager')
  await f.settled()
})

after(() => f.stop())

describe('dashboard', () => {
  test('without a token the page sends the browser to the login and back', async () => {
    const response = await page('/')
    assert.equal(response.status, 303)
    const login = new URL(response.location!)
    assert.equal(login.origin + login.pathname, `${f.issuer.url}/login`)
    assert.ok(login.searchParams.get('return_to'), 'the way back')
  })

  test('with nobody to assign, the create form comes back with the reason and nothing is stored', async () => {
    const response = await page('/tasks', 'boss', { title: 'Polish the beak', jira_id: '', description: '' })
    assert.equal(response.status, 303)
    assert.match(noticeOf(response.location).error ?? '', /nobody can take a task/)
    assert.equal(rows().length, 0)
  })

  test('a popug creates a task, sees it among their open tasks and completes it', async () => {
    await f.publishAccount('pip', 'popug')
    await f.settled()
    const home = await page('/', 'pip')
    assert.equal(home.status, 200)
    assert.match(home.html, /My open tasks \(0\)/)
    assert.doesNotMatch(home.html, /Reassign open tasks/, 'a popug is not offered the reassignment')

    const created = await page('/tasks', 'pip', { title: 'UBERPOP-42 — Polish the beak', jira_id: '', description: 'until it shines' })
    assert.equal(created.status, 303)
    assert.equal(noticeOf(created.location).notice, 'Created "Polish the beak" and assigned it to pip.')
    const [task] = rows()
    assert.equal(task!.title, 'Polish the beak')
    assert.equal(task!.jira_id, 'UBERPOP-42')

    const mine = await page('/', 'pip')
    assert.match(mine.html, /My open tasks \(1\)/)
    assert.ok(mine.html.includes(`action="/tasks/${task!.task_id}/complete"`), 'a Complete button')
    assert.ok(mine.html.includes('[UBERPOP-42]'))

    const done = await page(`/tasks/${task!.task_id}/complete`, 'pip', {})
    assert.equal(noticeOf(done.location).notice, 'Completed "Polish the beak".')
    const again = await page(`/tasks/${task!.task_id}/complete`, 'pip', {})
    assert.equal(noticeOf(again.location).error, 'the task is already completed')
    assert.match((await page('/', 'pip')).html, /My open tasks \(0\)/)
    assert.match((await page('/?status=completed&assignee=me', 'pip')).html, /Polish the beak/, 'the filter finds it')
    assert.doesNotMatch((await page('/?status=open', 'pip')).html, /Polish the beak/)
  })

  test('a bad form is refused with a notice and stores nothing', async () => {
    const before = rows().length
    const forms: Array<Record<string, string>> = [{ title: '' }, { title: '[UBERPOP-1]' }, { title: 'Fine', jira_id: 'nope' }, { title: 'x'.repeat(301) }]
    for (const form of forms) {
      const response = await page('/tasks', 'pip', form)
      assert.equal(response.status, 303, JSON.stringify(form))
      assert.ok(noticeOf(response.location).error, JSON.stringify(form))
    }
    assert.equal(rows().length, before)
  })

  test('a form posted from another site is refused', async () => {
    const before = rows().length
    const response = await page('/tasks', 'pip', { title: 'Sneaky' }, 'https://evil.example')
    assert.equal(response.status, 403)
    assert.equal(rows().length, before)
  })

  test('a manager reassigns after a confirmation step and sees the count', async () => {
    for (const title of ['Count the millet', 'Fix the perch']) await page('/tasks', 'pip', { title })
    const home = await page('/', 'mila')
    assert.ok(home.html.includes('href="/reassign"'), 'the button leads to the confirmation')
    const confirm = await page('/reassign', 'mila')
    assert.equal(confirm.status, 200)
    assert.match(confirm.html, /Yes, reassign 2 open tasks/)
    assert.ok(confirm.html.includes('action="/reassign"'))
    const done = await page('/reassign', 'mila', {})
    assert.equal(done.status, 303)
    assert.equal(noticeOf(done.location).notice, 'Reassigned 2 open tasks.')
  })

  test('a popug can neither open the confirmation nor post it', async () => {
    assert.equal((await page('/reassign', 'pip')).status, 403)
    assert.equal((await page('/reassign', 'pip', {})).status, 403)
  })

  test('all tasks are listed a hundred at a time, newest first, with links that keep the filter', async () => {
    for (let n = 1; n <= 105; n++) await page('/tasks', 'pip', { title: `Paged chore ${n}` })
    const shown = (html: string) => [...html.matchAll(/Paged chore (\d+)</g)].map((m) => Number(m[1]))
    const first = await page('/?status=open', 'pip')
    const onFirst = shown(first.html.slice(first.html.indexOf('id="all"')))
    assert.deepEqual(onFirst, Array.from({ length: 100 }, (_, i) => 105 - i))
    const older = /href="(\/\?status=open&amp;cursor=[^"]+)"[^>]*>Older tasks/.exec(first.html)
    assert.ok(older, 'a link to the older tasks that keeps the filter')
    assert.doesNotMatch(first.html, /← Newest/)

    const second = await page(older[1]!.replaceAll('&amp;', '&'), 'pip')
    assert.equal(second.status, 200)
    const onSecond = shown(second.html.slice(second.html.indexOf('id="all"')))
    assert.deepEqual(onSecond.slice(0, 5), [5, 4, 3, 2, 1], 'the rest, where the first page ended')
    assert.match(second.html, /href="\/\?status=open#all"[^>]*>← Newest/)
    assert.doesNotMatch(second.html, /Older tasks/)
    assert.equal((await page('/?cursor=bm9wZQ', 'pip')).status, 422, 'a made-up cursor')
  })
})
