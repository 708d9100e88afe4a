// The two reads every popug makes most: its open tasks and its account. Each is loaded for a
// fixed time by autocannon in its own process, against a bare Hono app loaded the same way.
// A second bare app answers the very JSON the route answered: how much of the gap is the size
// of the answer (its serialization and its bytes on the socket) rather than the worker's work
// (the token, the query, the middleware).
import { bareHono } from './baselines.ts'
import { httpLoad, type LoadResult } from './http-load.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { call, check, type World } from './world.ts'

export async function httpReads(world: World, seconds: number, connections: number): Promise<Row[]> {
  const { urls } = world.system
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
    const result: LoadResult = await httpLoad({ url, seconds, connections, headers: { authorization: `Bearer ${token}` } })
    check(result.errors === 0 && result.non2xx === 0, `${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
    progress(`http: ${name} ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms`)
    const json = JSON.stringify(answer)
    const same = await bareHono(seconds, connections, json)
    const size = `${(Buffer.byteLength(json) / 1024).toFixed(1)} KB`
    progress(`http: bare Hono answering the same ${size} ${Math.round(same.requestsPerSecond)} req/s, p99 ${same.p99Ms} ms`)
    rows.push(
      {
        figure: name,
        unit: 'req/s',
        value: result.requestsPerSecond,
        baseline: { name: 'bare Hono', value: bare.requestsPerSecond },
        target: { kind: 'min_ratio', limit: 0.5 },
        details: { ...result, tasks_listed: mine.tasks.length, entries_listed: account.entries.length },
      },
      { figure: `  p99 of ${name}`, unit: 'ms', value: result.p99Ms, baseline: { name: 'bare Hono p99', value: bare.p99Ms } },
      {
        figure: `  bare Hono answering the same ${size}`,
        unit: 'req/s',
        value: same.requestsPerSecond,
        baseline: { name: 'bare Hono', value: bare.requestsPerSecond },
        details: { ...same, bytes: Buffer.byteLength(json) },
      },
    )
  }
  return rows
}
