// Child process of http-load.ts: runs autocannon and prints its summary as JSON.
import autocannon from 'autocannon'
import type { LoadOptions, LoadResult } from './http-load.ts'

const options = JSON.parse(process.argv[2]!) as LoadOptions
const startedAtMs = Date.now()
const result = await autocannon({
  url: options.url,
  method: options.method ?? 'GET',
  headers: options.headers ?? {},
  ...(options.body === undefined ? {} : { body: options.body }),
  ...(options.amount === undefined ? { duration: options.seconds ?? 5 } : { amount: options.amount }),
  connections: options.connections ?? 32,
  pipelining: 1,
})
const summary: LoadResult = {
  requestsPerSecond: result.requests.average,
  p99Ms: result.latency.p99,
  errors: result.errors + result.timeouts,
  timeouts: result.timeouts,
  non2xx: result.non2xx,
  statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([status, stats]) => [status, (stats as { count: number }).count])),
  requests: result.requests.total,
  seconds: result.duration,
  startedAtMs,
}
process.stdout.write(JSON.stringify(summary))
