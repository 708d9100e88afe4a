// How big a benchmark run is: BENCH_SCALE=quick|small|full (default full, the sizes of the
// issue), each size overridable on its own; BENCH_ONLY=pipeline,replay runs only those scenarios.
export const SCENARIOS = ['metrics', 'close', 'pipeline', 'latency', 'reassign', 'http', 'replay', 'reconcile', 'takeover'] as const
export type Scenario = (typeof SCENARIOS)[number]

export type Sizes = {
  scale: 'quick' | 'small' | 'full'
  /** Popug accounts; the day close pays every one that ends the day positive. */
  accounts: number
  /** Tasks created through tasks' API in the pipeline; they are the open tasks reassigned. */
  tasks: number
  /** Reassignments of every open task; more rounds also grow the streams for the replay. */
  reassigns: number
  /** Events for the raw JetStream and SQLite baselines. */
  rawEvents: number
  /** Seconds of tasks created at a fixed rate for the end-to-end latency. */
  latencySeconds: number
  /** Seconds of load per HTTP route. */
  httpSeconds: number
  /** Concurrent connections of the HTTP load generator. */
  connections: number
  /** The scenarios to run, in their fixed order (the baselines always run). */
  only: ReadonlySet<Scenario>
}

const PRESETS: Record<Sizes['scale'], Omit<Sizes, 'scale' | 'only'>> = {
  quick: { accounts: 200, tasks: 2_000, reassigns: 1, rawEvents: 10_000, latencySeconds: 3, httpSeconds: 2, connections: 16 },
  small: { accounts: 2_000, tasks: 20_000, reassigns: 1, rawEvents: 50_000, latencySeconds: 10, httpSeconds: 5, connections: 16 },
  full: { accounts: 10_000, tasks: 100_000, reassigns: 3, rawEvents: 100_000, latencySeconds: 20, httpSeconds: 10, connections: 16 },
}

function whole(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw.replaceAll('_', ''))
  if (!Number.isInteger(value) || value < 1) throw new Error(`${key} must be a whole number ≥ 1, got "${raw}"`)
  return value
}

export function sizesFrom(env: NodeJS.ProcessEnv = process.env): Sizes {
  const scale = (env.BENCH_SCALE || 'full') as Sizes['scale']
  if (!(scale in PRESETS)) throw new Error(`BENCH_SCALE must be quick, small or full, got "${scale}"`)
  const preset = PRESETS[scale]
  return {
    scale,
    accounts: whole(env, 'BENCH_ACCOUNTS', preset.accounts),
    tasks: whole(env, 'BENCH_TASKS', preset.tasks),
    reassigns: whole(env, 'BENCH_REASSIGNS', preset.reassigns),
    rawEvents: whole(env, 'BENCH_RAW_EVENTS', preset.rawEvents),
    latencySeconds: whole(env, 'BENCH_LATENCY_SECONDS', preset.latencySeconds),
    httpSeconds: whole(env, 'BENCH_HTTP_SECONDS', preset.httpSeconds),
    connections: whole(env, 'BENCH_CONNECTIONS', preset.connections),
    only: scenarios(env.BENCH_ONLY),
  }
}

function scenarios(raw: string | undefined): ReadonlySet<Scenario> {
  if (raw === undefined || raw.trim() === '') return new Set(SCENARIOS)
  const names = raw.split(',').map((s) => s.trim())
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n))
  if (unknown.length > 0) throw new Error(`BENCH_ONLY takes ${SCENARIOS.join(', ')}; got "${unknown.join(', ')}"`)
  return new Set(names as Scenario[])
}
