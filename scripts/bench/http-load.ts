// HTTP load from a separate process (autocannon), so the server under test keeps its core.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type LoadResult = {
  requestsPerSecond: number
  p99Ms: number
  /** Connection errors and timeouts (timeouts also on their own). */
  errors: number
  timeouts: number
  non2xx: number
  /** How many answers of each HTTP status. */
  statuses: Record<string, number>
  requests: number
  seconds: number
  /** When the first request went out (Date.now() of the load's process): its start-up before is not the server's time. */
  startedAtMs: number
}

export type LoadOptions = {
  url: string
  headers?: Record<string, string>
  seconds?: number
  connections?: number
  method?: 'GET' | 'POST'
  body?: string
  /** A fixed number of requests instead of a duration. */
  amount?: number
}

/** Runs autocannon in a child process and returns its summary. */
export async function httpLoad(options: LoadOptions): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./http-load-child.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk) => (out += chunk))
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`load generator failed (${code})`)
  return JSON.parse(out) as LoadResult
}
