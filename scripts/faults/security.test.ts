// The security matrix over the running system: every route × every role and six kinds of
// stranger (stale tokens of a deactivated and a demoted admin among them) gets its documented
// status, and every page its security headers; a write with the cookie from another site or
// port is refused on every unsafe route; a popug never reads another's account; oversized
// bodies get 413; SQL-ish and HTML-ish input is stored verbatim and shown escaped.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { freePort } from '../../workers/runtime/testing/nats-server.ts'
import { connectTestStreams } from '../../workers/runtime/testing/streams.ts'
import { api, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { type Cast, castOf, type Caller, ROLES, STRANGERS } from './callers.ts'
import { type Door, doors, type Knock, type Targets } from './doors.ts'
import { Tally } from './tally.ts'

const tally = new Tally('security')
let system: System
let cast: Cast
let targets: Targets

async function knock(door: Door, request: Knock, token: string | undefined): Promise<Response> {
  const base = system.urls[door.worker]
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
  let body: string | undefined
  if (request.form) {
    Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', origin: base })
    body = new URLSearchParams(request.form).toString()
  } else if (request.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(request.json)
  }
  return fetch(`${base}${request.path}`, { method: door.method, headers, body, redirect: 'manual' })
}

function expected(door: Door, caller: Caller): number {
  if (door.allow === 'anyone') return door.ok
  if ((ROLES as readonly string[]).includes(caller)) return (door.allow as readonly string[]).includes(caller) ? door.ok : (door.refused ?? 403)
  return door.strangers ?? 401
}

/** An open task of the popug: one it has, or new ones until one lands on it (tasks draws among every eligible account). */
async function openTaskOf(popug: { id: string; token: string }): Promise<string> {
  const mine = await api<{ tasks: Array<{ task_id: string }> }>(`${system.urls.tasks}/api/tasks?assignee=me&status=open&limit=1`, popug.token)
  return mine.body.tasks[0]?.task_id ?? (await newTaskOf(popug, 'Waiting for the popug')).taskId
}

/** Each attempt has its own title, so the one that landed on the popug is told apart from the others. */
async function newTaskOf(popug: { id: string; token: string }, title: string): Promise<{ taskId: string; title: string }> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const titled = `${title} #${attempt}`
    const made = await api<{ task_id: string; assignee_id: string }>(`${system.urls.tasks}/api/tasks`, popug.token, { body: { title: titled } })
    assert.equal(made.status, 201)
    if (made.body.assignee_id === popug.id) return { taskId: made.body.task_id, title: titled }
  }
  throw new Error('no task ever went to the popug')
}

before(async () => {
  system = await startSystem()
  cast = await castOf(system)
  const spare = await api<{ account_id: string }>(`${system.urls.auth}/api/accounts`, cast.admin.token, {
    body: { name: 'Spare', email: 'spare@ates.test', role: 'manager', beak: 'spare-beak-123' },
  })
  const anyTaskId = await openTaskOf(cast.otherPopug)
  targets = {
    popugId: cast.popug.id,
    otherPopugId: cast.otherPopug.id,
    popugEmail: cast.popug.email,
    popugBeak: cast.popug.beak,
    spareAccountId: spare.body.account_id,
    anyTaskId,
    popugTask: () => openTaskOf(cast.popug),
  }
})

after(async () => {
  await system?.stop()
  tally.finish()
})

describe('security', () => {
  test('every route × every role, no token, an expired token, a foreign key, alg none, a deactivated and a demoted admin get the documented status', async (t) => {
    const table = doors(targets)
    const callers: Caller[] = [...ROLES, ...STRANGERS]
    const wrong: string[] = []
    let n = 0
    for (const door of table) {
      for (const caller of callers) {
        n += 1
        const request = door.knock ? await door.knock(n) : { path: door.route }
        const response = await knock(door, request, cast.tokens[caller])
        await response.arrayBuffer()
        const want = expected(door, caller)
        if (response.status !== want) wrong.push(`${door.worker} ${door.method} ${door.route} as ${caller}: ${response.status}, documented ${want}`)
        if (want === 303 && door.allow !== 'anyone' && !(ROLES as readonly string[]).includes(caller)) {
          const to = response.headers.get('location') ?? ''
          if (!to.startsWith(`${system.urls.auth}/login?return_to=`)) wrong.push(`${door.worker} ${door.method} ${door.route} as ${caller}: redirected to ${to}, not to the login page`)
        }
        if (!door.route.startsWith('/api/') && !/frame-ancestors 'none'/.test(response.headers.get('content-security-policy') ?? '')) {
          wrong.push(`${door.worker} ${door.method} ${door.route} as ${caller}: a page without its Content-Security-Policy`)
        }
      }
    }
    const cells = table.length * callers.length
    tally.security(cells)
    t.diagnostic(`security matrix: ${table.length} routes × ${callers.length} callers = ${cells} cells, ${wrong.length} wrong`)
    assert.deepEqual(wrong, [])
  })

  test('a write with the cookie from another site or another port is refused on every unsafe route and publishes nothing; from our own pages it passes', async (t) => {
    const unsafe = doors(targets).filter((door) => door.method !== 'GET')
    const requests = await Promise.all(unsafe.map((door, i) => (door.knock ? door.knock(100_000 + i) : { path: door.route })))
    const who = (door: Door) => (door.allow === 'anyone' || door.allow.includes('admin') ? 'admin' : door.allow[0]!)
    const send = (door: Door, request: Knock, origin: string) => {
      const headers: Record<string, string> = { cookie: `ates_token=${cast.tokens[who(door)]}`, origin }
      let body: string | undefined
      if (request.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded'
        body = new URLSearchParams(request.form).toString()
      } else if (request.json !== undefined) {
        headers['content-type'] = 'application/json'
        body = JSON.stringify(request.json)
      }
      return fetch(`${system.urls[door.worker]}${request.path}`, { method: door.method, headers, body, redirect: 'manual' })
    }
    const streams = await connectTestStreams(system.nats.url)
    const stored = async () => Promise.all((['ACCOUNTS', 'TASKS', 'BILLING'] as const).map(async (s) => (await streams.jsm.streams.info(s)).state.messages))
    await system.settled()
    const before = await stored()
    // Another site, and another port of the workers' own host: the same *site*, so a browser sends the SameSite=Lax cookie along.
    const foreign = ['https://evil.example', `http://localhost:${await freePort()}`]
    const wrong: string[] = []
    try {
      for (const [i, door] of unsafe.entries()) {
        for (const origin of foreign) {
          const response = await send(door, requests[i]!, origin)
          const code = response.headers.get('content-type')?.includes('json') ? ((await response.json()) as { error?: { code: string } }).error?.code : await response.text()
          if (response.status !== 403 || code !== 'cross_site') wrong.push(`${door.worker} ${door.method} ${door.route} from ${origin}: ${response.status} ${code}`)
        }
      }
      await system.settled()
      assert.deepEqual(await stored(), before, 'no refused write published anything')
      for (const [i, door] of unsafe.entries()) {
        const response = await send(door, requests[i]!, system.urls[door.worker])
        await response.arrayBuffer()
        const want = door.again ?? door.ok
        if (response.status !== want) wrong.push(`${door.worker} ${door.method} ${door.route} from its own page: ${response.status}, documented ${want}`)
      }
    } finally {
      await streams.close()
    }
    const checks = unsafe.length * (foreign.length + 1) + 1
    tally.security(checks)
    t.diagnostic(`cross-site writes: ${unsafe.length} unsafe routes × ${foreign.length} foreign origins, and from our own pages: ${wrong.length} wrong`)
    assert.deepEqual(wrong, [])
  })

  test("a popug never reads another's account, by API or by page", async () => {
    const { taskId: task, title: secret } = await newTaskOf(cast.otherPopug, 'Feed the boss parrot (a secret of kesha)')
    await system.settled()
    for (const path of [`/api/accounts/${cast.otherPopug.id}`, `/api/accounts/${cast.otherPopug.id}?day=2026-01-01`]) {
      const refused = await api<{ error: { code: string } }>(`${system.urls.billing}${path}`, cast.popug.token)
      assert.equal(refused.status, 403, path)
      assert.equal(refused.body.error.code, 'forbidden')
    }
    const page = async (token: string) => {
      const response = await fetch(`${system.urls.billing}/?account=${cast.otherPopug.id}`, { headers: { authorization: `Bearer ${token}` } })
      return { status: response.status, html: await response.text() }
    }
    const control = await page(cast.admin.token)
    assert.equal(control.status, 200)
    assert.ok(control.html.includes(secret), 'the control: an admin sees the other account and its task')
    const refused = await page(cast.popug.token)
    assert.equal(refused.status, 403, 'the page refuses, as the API does')
    assert.ok(!refused.html.includes(secret) && !refused.html.includes(task), 'and shows nothing of the other account')
    assert.match(refused.html, /not for your role/)
    tally.security(4)
  })

  test('bodies over the 64 KiB limit get 413, with or without a content-length, and change nothing', async () => {
    const newest = async () => (await api<{ tasks: Array<{ task_id: string }> }>(`${system.urls.tasks}/api/tasks?limit=1`, cast.admin.token)).body.tasks[0]?.task_id
    const before = await newest()
    const big = JSON.stringify({ title: 'x'.repeat(70 * 1024) })
    const posts: Array<[string, string | undefined]> = [
      [`${system.urls.auth}/api/login`, undefined],
      [`${system.urls.auth}/api/accounts`, cast.admin.token],
      [`${system.urls.tasks}/api/tasks`, cast.popug.token],
      [`${system.urls.billing}/api/accounts/me`, cast.popug.token],
      [`${system.urls.analytics}/api/analytics/today`, cast.admin.token],
      [`${system.urls.close}/api/closes`, cast.admin.token],
      [`${system.urls.audit}/api/differences`, cast.admin.token],
    ]
    for (const [url, token] of posts) {
      const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }
      const sized = await fetch(url, { method: 'POST', headers, body: big })
      assert.equal(sized.status, 413, url)
      assert.equal(((await sized.json()) as { error: { code: string } }).error.code, 'payload_too_large')
      const chunks = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 70; i++) controller.enqueue(new TextEncoder().encode(i === 0 ? `{"title":"${'y'.repeat(1000)}` : 'y'.repeat(1024)))
          controller.enqueue(new TextEncoder().encode('"}'))
          controller.close()
        },
      })
      const streamed = await fetch(url, { method: 'POST', headers, body: chunks, duplex: 'half' } as RequestInit)
      assert.equal(streamed.status, 413, `${url} without content-length`)
    }
    assert.equal(await newest(), before, 'no task was created')
    tally.security(posts.length * 2)
  })

  test('SQL-ish and HTML-ish input is stored verbatim and shown escaped; the tables are intact', async () => {
    const sql = "'; DROP TABLE tasks; --"
    const html = '<script>alert(1)</script>'
    const name = `${html} Robert'); DROP TABLE accounts;--`
    const made = await api<{ account_id: string; name: string }>(`${system.urls.auth}/api/accounts`, cast.admin.token, {
      body: { name, email: 'bobby@ates.test', role: 'popug', beak: 'bobby-beak-123' },
    })
    assert.equal(made.body.name, name)
    const created = await api<{ task_id: string; title: string; description: string; assignee_id: string }>(`${system.urls.tasks}/api/tasks`, cast.popug.token, {
      body: { title: sql, description: html },
    })
    assert.equal(created.status, 201)
    assert.deepEqual([created.body.title, created.body.description], [sql, html], 'stored verbatim')
    await system.settled()
    const read = await api<{ title: string; description: string }>(`${system.urls.tasks}/api/tasks/${created.body.task_id}`, cast.admin.token)
    assert.deepEqual([read.body.title, read.body.description], [sql, html])

    const pageOf = async (url: string) => (await fetch(url, { headers: { authorization: `Bearer ${cast.admin.token}` } })).text()
    const pages = {
      tasks: await pageOf(`${system.urls.tasks}/`),
      billing: await pageOf(`${system.urls.billing}/?account=${created.body.assignee_id}`),
      auth: await pageOf(`${system.urls.auth}/`),
    }
    for (const [worker, page] of Object.entries(pages)) {
      assert.ok(!page.includes(html), `${worker}: the script tag is not in the page as markup`)
      assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${worker}: it is shown escaped`)
    }
    assert.match(pages.tasks, /&#39;; DROP TABLE tasks; --/, 'the SQL-ish title is shown as text')
    assert.match(pages.billing, /&#39;; DROP TABLE tasks; --/, 'the audit log shows the title as text')

    for (const [url, status] of [
      [`${system.urls.tasks}/api/tasks?assignee=${encodeURIComponent("' OR 1=1 --")}`, 422],
      [`${system.urls.tasks}/api/tasks/${encodeURIComponent("' OR '1'='1")}`, 404],
      [`${system.urls.billing}/api/accounts/${encodeURIComponent("' OR '1'='1")}`, 422],
      [`${system.urls.analytics}/api/analytics/days?from=${encodeURIComponent("2026-01-01' --")}`, 422],
      [`${system.urls.audit}/api/differences?kind=${encodeURIComponent("fee_missing' OR '1'='1")}`, 422],
    ] as const) {
      assert.equal((await api(url, cast.admin.token)).status, status, url)
    }
    const tasks = await api<{ tasks: unknown[] }>(`${system.urls.tasks}/api/tasks?limit=200`, cast.admin.token)
    const accounts = await api<{ accounts: Array<{ name: string }> }>(`${system.urls.billing}/api/accounts`, cast.admin.token)
    assert.equal(tasks.status, 200)
    assert.ok(tasks.body.tasks.length > 1, 'the tasks table is still there')
    assert.ok(accounts.body.accounts.some((a) => a.name === name), "billing's accounts table is still there, with the name verbatim")
    tally.security(15)
  })
})
