// Continuous reconciliation on a system run as `make up` runs it: one JetStream node with the
// per-worker users of deploy/nats/users.conf (the audit with its own, least-privilege one).
// After the suite's load, with a day closed in the middle of it, `make reconcile` reports no
// difference and the audit worker's metric is zero. Then an operator publishes, as `ops`, a fee
// for a task that was never assigned: within a minute it is a difference in the audit's API, its
// page, its metric and in `make reconcile`, which now fails.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { jetstream } from '@nats-io/jetstream'
import { makeEnvelope } from '../../contracts/envelope.ts'
import type { Differences } from '../../workers/audit/queries.ts'
import { WORKERS } from '../../workers/runtime/config.ts'
import { connectNats } from '../../workers/runtime/nats.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../../workers/runtime/testing/nats-server.ts'
import { ADMIN, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { generatePasswords, type Passwords, SINGLE_CONFIG, serverEnv } from '../lib/nats-users.ts'
import { provisionWhenReady } from '../lib/stack.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { type Crew, hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const run = promisify(execFile)
const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
/** Short, so that a test sees a difference settle; the rule is the same as with the default minute. */
const SETTLE_SECONDS = 3
const tally = new Tally('audit')
let nats: NatsFixture
let passwords: Passwords
let system: System<undefined>
let admin: string
let crew: Crew

/** `make reconcile` against the system, as `ops`; its exit code and its report. */
async function reconcile(): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, ATES_NATS_URL: nats.url, ATES_NATS_USER: 'ops', ATES_NATS_PASS: passwords.ops, ATES_AUDIT_SETTLE_SECONDS: String(SETTLE_SECONDS) }
  return run(process.execPath, ['--import', 'tsx', 'scripts/reconcile.ts'], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  )
}

const differences = async () => (await api<Differences>(`${system.urls.audit}/api/differences`, admin)).body
/** The sum of ates_audit_differences over every kind, and the series of one kind. */
async function metric(kind?: string): Promise<number> {
  const lines = (await (await fetch(`${system.urls.audit}/metrics`)).text()).split('\n').filter((l) => l.startsWith('ates_audit_differences{'))
  return lines.filter((l) => !kind || l.includes(`kind="${kind}"`)).reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

before(async () => {
  passwords = generatePasswords()
  nats = await startNats({ configFile: SINGLE_CONFIG, env: serverEnv(passwords), local: true })
  await provisionWhenReady([nats.url], { user: 'ops', pass: passwords.ops }, 1)
  const users = Object.fromEntries(WORKERS.map((w) => [w, { user: w, pass: passwords[w] }]))
  system = await startSystem({ external: { servers: [nats.url], users }, env: { ATES_AUDIT_SETTLE_SECONDS: String(SETTLE_SECONDS) } })
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  crew = await hireCrew(system.urls, admin, 5, 'audit')
})

after(async () => {
  await system?.stop()
  await nats?.stop()
  tally.finish()
})

/** A process's CPU niceness, from /proc (Linux). */
function nicenessOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // After "(comm)": state is the 3rd field, nice the 19th.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
}

describe('continuous reconciliation', () => {
  test('the audit yields the processor: it runs at niceness 10 (ATES_AUDIT_NICE), the workers that move money at 0', () => {
    assert.equal(nicenessOf(system.pid('audit')!), 10)
    for (const worker of ['tasks', 'billing', 'analytics'] as const) assert.equal(nicenessOf(system.pid(worker)!), 0, worker)
  })

  test(`after the suite's load (a day closed half-way), make reconcile finds no difference and the audit's metric is 0 (seed ${SEED})`, async (t) => {
    const load = new Load(system.urls, crew, { tasks: 300, clients: 3, seed: SEED, reassignEvery: 60, completeShare: 0.9 })
    let failure: unknown
    const loading = load.run().catch((error: unknown) => {
      failure = error
    })
    await waitFor(() => {
      if (failure) throw failure
      return load.progress >= 150
    }, 'half of the load', 120_000)
    assert.equal((await persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))).status, 202)
    await loading
    if (failure) throw failure

    const report = await checkSystem(system, admin, load.acknowledged, { user: 'ops', pass: passwords.ops })
    tally.scenario(report)
    t.diagnostic(describeReport(report))
    assert.deepEqual(report.differences, [])
    assert.ok(report.counts.closedDays >= 1 && report.counts.tasks >= 300)

    const reconciled = await reconcile()
    t.diagnostic(reconciled.stdout)
    assert.equal(reconciled.code, 0, reconciled.stdout + reconciled.stderr)
    assert.match(reconciled.stdout, /^reconcile: \d+ events read from TASKS, BILLING, ANALYTICS in [\d.]+ s$/m)
    assert.match(reconciled.stdout, new RegExp(`^checked ${report.counts.tasks} tasks, \\d+ accounts, ${report.counts.entries} ledger entries moving ${report.counts.cents} cents$`, 'm'))
    assert.match(reconciled.stdout, /^0 differences$/m)
    assert.match(reconciled.stderr, /reading BILLING: \d+ of \d+ events/)
    assert.equal(await metric(), 0)
    const audit = await differences()
    assert.deepEqual([audit.total, audit.pending], [0, 0])
  })

  test('a fee for a task never assigned, published by hand as ops, is a difference within a minute in the API, the page, the metric and make reconcile', async (t) => {
    const popug = crew.popugs[0]!
    const account = await api<{ balance: number; business_day: string }>(`${system.urls.billing}/api/accounts/${popug.id}`, admin)
    const task = randomUUID()
    const transaction = randomUUID()
    // What a broken billing would have written: the popug's balance moves on by the fee, so only the fee is wrong.
    const { subject, envelope } = makeEnvelope({
      name: 'billing.transaction_applied',
      data: { transaction_id: transaction, account_id: popug.id, kind: 'assign_fee', debit: 1500, credit: 0, task_id: task, business_day: account.body.business_day, balance_after: account.body.balance - 1500, applied_at: new Date().toISOString() },
      eventId: randomUUID(),
      time: new Date(),
      producer: 'billing',
    })
    const nc = await connectNats({ servers: [nats.url], name: 'an operator', user: 'ops', pass: passwords.ops })
    const published = Date.now()
    try {
      await jetstream(nc).publish(subject, JSON.stringify(envelope), { msgID: envelope.event_id })
    } finally {
      await nc.close()
    }

    const found = await waitFor(async () => {
      const answer = await differences()
      return answer.total > 0 ? answer : undefined
    }, 'the fee to show as a difference', 60_000)
    t.diagnostic(`a difference ${((Date.now() - published) / 1000).toFixed(1)} s after it was published (settle time ${SETTLE_SECONDS} s)`)
    assert.equal(found.total, 1, JSON.stringify(found.differences))
    const [difference] = found.differences
    assert.deepEqual([difference!.kind, difference!.task_id], ['fee_unexplained', task])
    assert.deepEqual(difference!.events, [{ event_id: envelope.event_id, event_name: 'billing.transaction_applied' }])
    assert.equal(await metric('fee_unexplained'), 1)
    assert.equal(await metric(), 1)

    const page = await fetch(`${system.urls.audit}/`, { headers: { authorization: `Bearer ${admin}` } })
    const html = await page.text()
    assert.equal(page.status, 200)
    assert.match(html, /1 difference between what happened and what was charged/)
    assert.ok(html.includes(`task ${task.slice(0, 8)}`) && html.includes(envelope.event_id.slice(0, 8)) && html.includes('fee_unexplained'))

    const reconciled = await reconcile()
    assert.equal(reconciled.code, 1, reconciled.stdout + reconciled.stderr)
    assert.match(reconciled.stdout, /^1 difference$/m)
    assert.match(reconciled.stdout, /^ {2}fee_unexplained: 1 — /m)
    assert.ok(reconciled.stdout.includes(`task ${task}: a fee of $15.00 on ${popug.id.slice(0, 8)}`), reconciled.stdout)
    assert.ok(reconciled.stdout.includes(`billing.transaction_applied ${envelope.event_id}`), reconciled.stdout)
  })
})
