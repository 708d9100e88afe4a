// End-to-end latency (SPEC B4, "with minimal delay"): tasks are created at a fixed moderate
// rate, and for each one the time from POST /api/tasks answering 201 until billing has applied
// its assignment fee (committed: its API shows it), and until analytics has counted that fee.
// A worker acks an event right after the transaction holding its effect commits, so the
// moment its durable's ack floor passes the event's stream sequence is the moment the effect
// is visible; both durables are polled the whole time (about a millisecond apart) by a
// process of its own (floor-watch.ts), which stamps each sample with the machine's monotonic
// clock, as the runner stamps each 201. The baseline, at the same rate in the same run: an
// event published (its PubAck) until a durable pull consumer has committed it to SQLite with an
// inbox record and acked it.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg, StorageType } from '@nats-io/jetstream'
import { openStore } from '../../workers/runtime/store.ts'
import { sampleEvent } from './baselines.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { check, type World } from './world.ts'

export type Percentiles = { p50: number; p99: number; max: number; count: number }

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN, count: sorted.length }
}

/** Calls `fn` `rate` times a second for `seconds`, on a schedule that does not wait for answers. */
async function atRate(rate: number, seconds: number, fn: (i: number) => Promise<void>): Promise<void> {
  const total = Math.max(1, Math.round(rate * seconds))
  const started = performance.now()
  const inFlight: Array<Promise<void>> = []
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    inFlight.push(fn(i))
  }
  await Promise.all(inFlight)
}

/** Whether a NATS subject filter (with * and >) matches a subject. */
export function matches(filter: string, subject: string): boolean {
  const f = filter.split('.')
  const s = subject.split('.')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i
    if (i >= s.length || (f[i] !== '*' && f[i] !== s[i])) return false
  }
  return f.length === s.length
}

/** The worker's durable on `stream` that receives `subject`. */
async function durableOf(jsm: JetStreamManager, stream: string, worker: string, subject: string): Promise<string> {
  for await (const consumer of jsm.consumers.list(stream)) {
    if (!consumer.name.startsWith(`${worker}-`) || consumer.config.durable_name === undefined) continue
    if (matches(consumer.config.filter_subject ?? '>', subject)) return consumer.name
  }
  throw new Error(`no durable of ${worker} on ${stream} receives ${subject}`)
}

export type Sample = { at: number; floor: number }

/** Milliseconds of the monotonic clock, which every process of the machine shares. */
export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6

/**
 * Polls durables' ack floors (stream/durable) from a process of its own (floor-watch.ts) until
 * stopped; the samples come back one array per durable.
 */
async function watchFloors(natsUrl: string, durables: string[]): Promise<{ stop(): Promise<Sample[][]> }> {
  const script = fileURLToPath(new URL('./floor-watch.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, natsUrl, ...durables], { stdio: ['pipe', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (what: string): Promise<string> => {
    const line = await lines.next()
    if (line.done) throw new Error(`the floor watch ended before it ${what}`)
    return line.value
  }
  await next('was ready')
  return {
    async stop() {
      child.stdin.end('stop\n')
      const samples = JSON.parse(await next('sent its samples')) as Sample[][]
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)))
      return samples
    },
  }
}

/** The first sampled moment the floor reached `seq`. */
function reached(samples: readonly Sample[], seq: number): number | undefined {
  let lo = 0
  let hi = samples.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (samples[mid]!.floor >= seq) hi = mid
    else lo = mid + 1
  }
  return samples[lo]?.at
}

/** Stream sequences of the messages after `fromSeq` on `filter`, by a key read from each. */
async function sequencesBy(js: JetStreamClient, stream: string, filter: string, fromSeq: number, key: (data: Record<string, unknown>) => string | undefined): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq + 1, filter_subjects: filter })
  for (;;) {
    const msg = await consumer.next({ expires: 2000 })
    if (!msg) break
    const id = key((msg.json() as { data: Record<string, unknown> }).data)
    if (id !== undefined && !out.has(id)) out.set(id, msg.seq)
    if (msg.info.pending === 0) break
  }
  await consumer.delete().catch(() => undefined)
  return out
}

function rows(what: string, measured: Percentiles, baseline: Percentiles, p99Target: number, details: Record<string, unknown>): Row[] {
  const ms = (n: number) => Math.round(n * 10) / 10
  return [
    {
      figure: `latency to ${what}, p99`,
      unit: 'ms',
      value: ms(measured.p99),
      baseline: { name: 'raw p99', value: ms(baseline.p99) },
      target: { kind: 'max_value', limit: p99Target },
      details: { ...details, ...measured, baseline },
    },
    { figure: `  p50 to ${what}`, unit: 'ms', value: ms(measured.p50), baseline: { name: 'raw p50', value: ms(baseline.p50) } },
    { figure: `  max to ${what}`, unit: 'ms', value: ms(measured.max), baseline: { name: 'raw max', value: ms(baseline.max) } },
  ]
}

export async function latency(world: World, rate: number, seconds: number): Promise<Row[]> {
  const { jsm, js, system } = world
  progress(`latency: raw baseline, ${rate} events/s for ${seconds} s (publish → durable → SQLite commit)`)
  const raw = await rawLatency(js, jsm, system.dataDir, rate, seconds)

  const billingDurable = await durableOf(jsm, 'TASKS', 'billing', 'tasks.assigned.v1')
  const analyticsDurable = await durableOf(jsm, 'BILLING', 'analytics', 'billing.transaction_applied.v1')
  const tasksFrom = (await jsm.streams.info('TASKS')).state.last_seq
  const billingFrom = (await jsm.streams.info('BILLING')).state.last_seq
  const watch = await watchFloors(system.nats.url, [`TASKS/${billingDurable}`, `BILLING/${analyticsDurable}`])
  progress(`latency: ${rate} tasks/s through POST /api/tasks for ${seconds} s, watching ${billingDurable} and ${analyticsDurable}`)
  const answered = new Map<string, number>()
  let refused = 0
  const tokens = await Promise.all(world.popugs.slice(0, 16).map((id) => world.tokenOf(id)))
  await atRate(rate, seconds, async (i) => {
    const response = await fetch(`${system.urls.tasks}/api/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[i % tokens.length]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `Water the seedlings ${i}`, description: 'Gently.' }),
    })
    const at = monotonicMs()
    const body = (await response.json()) as { task_id?: string }
    if (response.status === 201 && body.task_id) answered.set(body.task_id, at)
    else refused++
  })
  check(refused === 0, `every task created (${refused} refused)`)
  await system.settled(10 * 60_000)
  // One more round of samples after everything settled: each floor is known past the last event.
  await new Promise((resolve) => setTimeout(resolve, 50))
  const [billing = [], analytics = []] = await watch.stop()

  const assigned = await sequencesBy(js, 'TASKS', 'tasks.assigned.>', tasksFrom, (d) => d.task_id as string)
  const fees = await sequencesBy(js, 'BILLING', 'billing.transaction_applied.>', billingFrom, (d) => (d.kind === 'assign_fee' ? (d.task_id as string) : undefined))
  const toBilling: number[] = []
  const toAnalytics: number[] = []
  for (const [taskId, at] of answered) {
    const assignedSeq = assigned.get(taskId)
    const feeSeq = fees.get(taskId)
    check(assignedSeq !== undefined && feeSeq !== undefined, `task ${taskId} was assigned and its fee applied`)
    const inBilling = reached(billing, assignedSeq)
    const inAnalytics = reached(analytics, feeSeq)
    check(inBilling !== undefined && inAnalytics !== undefined, `task ${taskId}: its fee was seen by billing and analytics`)
    // An event is stored before its 201 is sent, so billing may apply it before the answer
    // reaches the runner: the fee is there when the client looks, no delay.
    toBilling.push(Math.max(0, inBilling - at))
    toAnalytics.push(Math.max(0, inAnalytics - at))
  }
  const b = percentiles(toBilling)
  const a = percentiles(toAnalytics)
  const resolution = percentiles(billing.slice(1).map((s, i) => s.at - billing[i]!.at))
  progress(`latency: to billing p50 ${b.p50.toFixed(1)} p99 ${b.p99.toFixed(1)} max ${b.max.toFixed(1)} ms; to analytics p50 ${a.p50.toFixed(1)} p99 ${a.p99.toFixed(1)} max ${a.max.toFixed(1)} ms; raw p99 ${raw.p99.toFixed(1)} ms; polled every ${resolution.p50.toFixed(2)} ms (p99 ${resolution.p99.toFixed(2)})`)
  const details = { rate, seconds, tasks: answered.size, poll_ms: resolution }
  return [...rows('billing (fee applied)', b, raw, 50, details), ...rows('analytics (fee counted)', a, raw, 100, details)]
}

/** Publish at `rate`, and a durable consumer committing each batch to SQLite: PubAck → commit. */
async function rawLatency(js: JetStreamClient, jsm: JetStreamManager, dir: string, rate: number, seconds: number): Promise<Percentiles> {
  const name = 'BENCH_LATENCY'
  await jsm.streams.delete(name).catch(() => undefined)
  await jsm.streams.add({ name, subjects: ['bench_latency.>'], storage: StorageType.File, num_replicas: 1 })
  await jsm.consumers.add(name, { durable_name: 'bench-latency', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 2000 })
  const store = openStore<unknown>(join(dir, 'bench-latency.sqlite'), [{ name: '001_rows', up: 'CREATE TABLE rows (id TEXT PRIMARY KEY, body TEXT NOT NULL)' }])
  const insertRow = store.prepare('INSERT INTO rows (id, body) VALUES (?, ?)')
  const insertInbox = store.prepare('INSERT INTO inbox (event_id, consumer) VALUES (?, ?)')
  const acked = new Map<string, number>()
  const committed = new Map<string, number>()
  const queue: JsMsg[] = []
  let wake: (() => void) | undefined
  const consumer = await js.consumers.get(name, 'bench-latency')
  const messages = await consumer.consume({
    max_messages: 1000,
    callback: (msg) => {
      queue.push(msg)
      wake?.()
    },
  })
  const total = Math.max(1, Math.round(rate * seconds))
  // As the workers do: woken by a message, take what arrived with it, commit once, then ack.
  const loop = (async () => {
    while (committed.size < total) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve))
        wake = undefined
        await new Promise((resolve) => setImmediate(resolve))
        continue
      }
      const batch = queue.splice(0, 500)
      store.tx(() => {
        for (const msg of batch) {
          insertRow.run(msg.headers?.get('Nats-Msg-Id') ?? String(msg.seq), msg.string())
          insertInbox.run(String(msg.seq), 'bench')
        }
      })
      const at = performance.now()
      for (const msg of batch) {
        committed.set(msg.headers?.get('Nats-Msg-Id') ?? '', at)
        msg.ack()
      }
    }
  })()
  await atRate(rate, seconds, async (i) => {
    const id = `latency-${i}`
    await js.publish('bench_latency.event', sampleEvent(i), { msgID: id })
    acked.set(id, performance.now())
  })
  await loop
  await messages.close()
  store.close()
  await jsm.streams.delete(name)
  return percentiles([...acked].map(([id, at]) => committed.get(id)! - at))
}
