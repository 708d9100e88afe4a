// A second instance of every worker started by mistake beside a running stack, as `make up`
// runs it: the same NATS, the same configuration, a database and a port of its own. Each waits
// as a standby (the worker's lease is held), answering 503 with the active instance, so the
// load runs as before and the money stays exactly right.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import { tempDir, waitFor } from '../../workers/runtime/testing/helpers.ts'
import { ApiWalk } from '../../workers/runtime/testing/api-walk.ts'
import { freePort } from '../../workers/runtime/testing/nats-server.ts'
import { ADMIN, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { type Crew, hireCrew, Load, persist } from './load.ts'
import { Tally } from './tally.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const tally = new Tally('second-instance')
const data = tempDir('ates-second-')
let system: System
let admin: string
let crew: Crew
const seconds: Array<{ worker: WorkerName; proc: ChildProcess; url: string }> = []

before(async () => {
  system = await startSystem()
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  crew = await hireCrew(system.urls, admin, 4, 'second')
  for (const worker of WORKERS) {
    const port = await freePort()
    const proc = spawn(process.execPath, ['--import', 'tsx', `${root}workers/${worker}/main.ts`], {
      env: { ...process.env, ...system.env, ATES_DATA_DIR: join(data.path, worker), [`ATES_${worker.toUpperCase()}_PORT`]: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    })
    const url = `http://localhost:${port}`
    seconds.push({ worker, proc, url })
    await waitFor(() => fetch(`${url}/healthz`).then((r) => r.ok, () => false), `a second ${worker} to answer`, 60_000)
  }
})

after(async () => {
  for (const { proc } of seconds) {
    if (proc.exitCode !== null) continue
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill('SIGTERM')
    })
  }
  await system?.stop()
  data.remove()
  tally.finish()
})

describe('a second instance of every worker on the same stack', () => {
  test('each waits as a standby; a load with a day closed leaves the money exactly right', async (t) => {
    for (const { worker, url } of seconds) {
      const ready = (await (await fetch(`${url}/readyz`)).json()) as { status: string; active?: { url: string } }
      assert.equal(ready.status, 'standby', `the second ${worker} is a standby`)
      assert.equal(ready.active?.url, system.urls[worker], `it names the active ${worker}`)
    }
    // What a standby answers is what the active instance's document says it answers.
    const documents = new ApiWalk(system.urls)
    await documents.load(WORKERS)
    const standbys = new ApiWalk(Object.fromEntries(seconds.map((s) => [s.worker, s.url])) as Record<WorkerName, string>)
    for (const [worker, document] of documents.documents) standbys.documents.set(worker, document)
    const token = crew.popugs[0]!.token
    for (const worker of WORKERS) {
      const refused = await standbys.expect({ worker, method: 'GET', route: '/openapi.json' }, 503)
      assert.equal((refused.body as { error: { code: string } }).error.code, 'standby')
      assert.ok(refused.headers.get('retry-after'))
    }
    const write = await standbys.expect({ worker: 'tasks', method: 'POST', route: '/api/tasks', token, json: { title: 'Not here' } }, 503)
    assert.equal((write.body as { error: { code: string } }).error.code, 'standby')
    await standbys.expect({ worker: 'tasks', method: 'GET', route: '/api/tasks', token }, 503)

    const load = new Load(system.urls, crew, { tasks: 200, clients: 3, seed: SEED + 50, reassignEvery: 60, completeShare: 0.9 })
    await load.run()
    const closed = await persist(() => api(`${system.urls.close}/api/closes`, admin, { body: {} }))
    assert.equal(closed.status, 202)
    const report = await checkSystem(system, admin, load.acknowledged)
    tally.scenario(report)
    t.diagnostic(`${load.retries} retried calls; ${describeReport(report)}`)
    assert.deepEqual(report.differences, [])
    for (const { worker, url } of seconds) {
      assert.equal(((await (await fetch(`${url}/readyz`)).json()) as { status: string }).status, 'standby', `the second ${worker} did nothing`)
    }
  })
})
