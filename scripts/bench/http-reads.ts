// The two reads every popug makes most: its open tasks and its account (a page of today's
// entries). Each is loaded by autocannon in its own process and judged against a bare Hono app
// answering the very same JSON, loaded the same way: the gap is the worker's work (the token,
// the account's standing, the query, the middleware), not the size of the answer. The two are
// loaded in turns, a few seconds each, after a second of each unmeasured: this machine's speed
// drifts within a minute (a bare app answering 2 KB measured faster than one answering a small
// body just before it), and one measured after the other took the drift as the route's. A bare
// app answering a small body stays as a reference row.
import { bareHono, startBareHono } from './baselines.ts'
import { httpLoad, type LoadResult } from './http-load.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { call, type World } from './world.ts'

/** At 16 connections, a read's p99 should stay within this. */
const P99_TARGET_MS = 5

/** Turns of the bare app and the route, each a third of the seconds. */
const TURNS = 3

/** Loads taken in turns as one: requests over their seconds, the worst p99, every error counted. */
function together(loads: readonly LoadResult[]): LoadResult {
  const sum = (pick: (load: LoadResult) => number) => loads.reduce((total, load) => total + pick(load), 0)
  const statuses: Record<string, number> = {}
  for (const load of loads) for (const [status, n] of Object.entries(load.statuses)) statuses[status] = (statuses[status] ?? 0) + n
  const requests = sum((l) => l.requests)
  const seconds = sum((l) => l.seconds)
  return { requestsPerSecond: requests / seconds, p99Ms: Math.max(...loads.map((l) => l.p99Ms)), errors: sum((l) => l.errors), timeouts: sum((l) => l.timeouts), non2xx: sum((l) => l.non2xx), statuses, requests, seconds, startedAtMs: Math.min(...loads.map((l) => l.startedAtMs)) }
}

export async function httpReads(world: World, seconds: number, connections: number): Promise<Row[]> {
  const { urls } = world.system
  // Measured on a quiet system, the bare apps and the workers alike: the events of the scenarios
  // before (a reassignment of every open task) can keep analytics and the audit busy for a while,
  // and what they take from the two cores would fall on whichever was loaded then.
  progress('http: waiting until every worker has caught up and every outbox is relayed')
  await world.system.settled(10 * 60_000)
  const popug = world.popugs[1 % world.popugs.length]!
  const token = await world.tokenOf(popug)
  const mine = await call<{ tasks: unknown[] }>(`${urls.tasks}/api/tasks?assignee=me`, token)
  const account = await call<{ entries: unknown[] }>(`${urls.billing}/api/accounts/me`, token)
  progress(`http: bare Hono, then the popug's ${mine.tasks.length} tasks and ${account.entries.length} entries of today, ${seconds} s each`)
  const bare = await bareHono(seconds, connections)
  const routes: Array<[string, string, unknown]> = [
    ['GET /api/tasks?assignee=me', `${urls.tasks}/api/tasks?assignee=me`, mine],
    ['GET /api/accounts/me', `${urls.billing}/api/accounts/me`, account],
  ]
  progress(`http: bare Hono ${Math.round(bare.requestsPerSecond)} req/s, p99 ${bare.p99Ms} ms`)
  const rows: Row[] = [{ figure: 'bare Hono GET (baseline)', unit: 'req/s', value: bare.requestsPerSecond, details: { ...bare } }]
  for (const [name, url, answer] of routes) {
    // The fair baseline: a bare app answering the route's very JSON, measured just before it.
    const json = JSON.stringify(answer)
    const size = `${(Buffer.byteLength(json) / 1024).toFixed(1)} KB`
    const headers = { authorization: `Bearer ${token}` }
    const bareSame = await startBareHono(json)
    const sames: LoadResult[] = []
    const results: LoadResult[] = []
    try {
      await httpLoad({ url: bareSame.url, seconds: 1, connections })
      await httpLoad({ url, seconds: 1, connections, headers })
      const turn = Math.max(1, Math.round(seconds / TURNS))
      for (let i = 0; i < TURNS; i++) {
        sames.push(await httpLoad({ url: bareSame.url, seconds: turn, connections }))
        results.push(await httpLoad({ url, seconds: turn, connections, headers }))
      }
    } finally {
      bareSame.stop()
    }
    const same = together(sames)
    const result = together(results)
    const turns = (loads: LoadResult[]) => loads.map((l) => Math.round(l.requestsPerSecond)).join(', ')
    progress(`http: bare Hono answering the same ${size} ${Math.round(same.requestsPerSecond)} req/s (turns ${turns(sames)}), p99 ${same.p99Ms} ms`)
    // A wrong answer is a figure of its own (target none), not the end of the run: the
    // scenarios after this one still measure.
    const wrong = result.errors + result.non2xx
    progress(`http: ${name} ${Math.round(result.requestsPerSecond)} req/s (turns ${turns(results)}), p99 ${result.p99Ms} ms${wrong ? `; ${result.non2xx} non-2xx answers (statuses ${JSON.stringify(result.statuses)}), ${result.errors} errors (${result.timeouts} timeouts)` : ''}`)
    rows.push(
      {
        figure: name,
        unit: 'req/s',
        value: result.requestsPerSecond,
        baseline: { name: `bare Hono answering the same ${size}`, value: same.requestsPerSecond },
        target: { kind: 'min_ratio', limit: 0.5 },
        details: { ...result, turns: results, bytes: Buffer.byteLength(json), tasks_listed: mine.tasks.length, entries_listed: account.entries.length, same: { ...same, turns: sames } },
      },
      {
        figure: `  p99 of ${name}`,
        unit: 'ms',
        value: result.p99Ms,
        baseline: { name: 'bare Hono answering the same bytes, p99', value: same.p99Ms },
        target: { kind: 'max_value', limit: P99_TARGET_MS },
      },
      { figure: `  wrong answers of ${name}`, unit: 'answers', value: wrong, target: { kind: 'max_value', limit: 0 }, details: { statuses: result.statuses, errors: result.errors, timeouts: result.timeouts } },
      // For reference, as before: against the small body.
      { figure: `  ${name} against a small body`, unit: 'req/s', value: result.requestsPerSecond, baseline: { name: 'bare Hono', value: bare.requestsPerSecond } },
    )
  }
  return rows
}
