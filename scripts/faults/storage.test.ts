// The storage under the workers fails: a database locked by another process, a disk that fills
// up. An infrastructure fault is nobody's event: the worker stops consuming (not ready, with the
// reason), answers writes with 503, sends nothing to the dead-letter queue, and once the storage
// works again catches up with nothing lost or doubled.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { sleep, tempDir, waitFor } from '../../workers/runtime/testing/helpers.ts'
import { connectTestStreams } from '../../workers/runtime/testing/streams.ts'
import { ADMIN, api, login, startSystem, type System } from '../../workers/runtime/testing/system.ts'
import { checkSystem, describeReport } from './evidence.ts'
import { type Crew, hireCrew, Load } from './load.ts'
import { Tally } from './tally.ts'

const SEED = Number(process.env.ATES_FAULTS_SEED ?? 20261123)
const TASKS = 300
const tally = new Tally('storage')
const disks = tempDir('ates-disks-')
/** A small filesystem of its own for one worker's database (tmpfs with a size limit; needs root). */
const disk = (name: string) => {
  const path = join(disks.path, name)
  mkdirSync(path, { recursive: true })
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', path])
  return path
}
const billingDisk = disk('billing')
const tasksDisk = disk('tasks')
let system: System
let admin: string
let crew: Crew
const acknowledged = { created: [] as string[], completed: [] as string[] }

before(async () => {
  system = await startSystem({ workerEnv: { billing: { ATES_DATA_DIR: billingDisk }, tasks: { ATES_DATA_DIR: tasksDisk } } })
  admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  crew = await hireCrew(system.urls, admin, 5, 'storage')
})

after(async () => {
  await system?.stop()
  for (const path of [billingDisk, tasksDisk]) execFileSync('umount', ['-l', path])
  disks.remove()
  tally.finish()
})

const crewLoad = (seed: number) => new Load(system.urls, crew, { tasks: TASKS, clients: 3, seed, reassignEvery: 100, completeShare: 0.9 })

type Readiness = { status: string; faults: Record<string, string>; warnings?: string[] }
const readiness = async (url: string): Promise<Readiness> => {
  try {
    return (await (await fetch(`${url}/readyz`)).json()) as Readiness
  } catch {
    return { status: 'unreachable', faults: {}, warnings: [] }
  }
}

async function deadLetters(): Promise<number> {
  const streams = await connectTestStreams(system.nats.url)
  try {
    return (await streams.jsm.streams.info('DLQ')).state.messages
  } finally {
    await streams.close()
  }
}

/** Takes the database's write lock from another process, as a stuck backup or a second writer would. */
function lock(file: string): () => void {
  const other = new Database(file, { timeout: 10_000 })
  other.exec('BEGIN IMMEDIATE')
  return () => {
    other.exec('ROLLBACK')
    other.close()
  }
}

/**
 * Fills the disk a database is on. Its write-ahead log is first emptied into the database
 * (a checkpoint that truncates it), so that the next write needs disk the log no longer has.
 * Returns how to free the disk again.
 */
async function fill(path: string, database: string): Promise<() => void> {
  const db = new Database(join(path, database), { timeout: 1000 })
  await waitFor(() => (db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>)[0]!.busy === 0, 'a checkpoint of the log')
  db.close()
  const filler = join(path, 'filler')
  const fd = openSync(filler, 'w')
  const chunk = Buffer.alloc(1024 * 1024)
  let size = 0
  try {
    for (;;) size += writeSync(fd, chunk)
  } catch {
    // the disk is full
  }
  closeSync(fd)
  return () => rmSync(filler, { force: true })
}

async function verified(t: { diagnostic(message: string): void }, load: Load, note: string) {
  const report = await checkSystem(system, admin, acknowledged)
  tally.scenario(report)
  t.diagnostic(`${note}; ${load.retries} retried calls; ${describeReport(report)}`)
  assert.deepEqual(report.differences, [])
  assert.equal(await deadLetters(), 0, 'no valid event was dead-lettered')
}

describe('storage faults', () => {
  for (const worker of ['billing', 'analytics'] as const) {
    test(`${worker}'s database locked by another process for 15 s mid-load: not ready with the reason, nothing dead-lettered, then caught up`, async (t) => {
      let seen = ''
      const load = await crewLoad(SEED + (worker === 'billing' ? 20 : 21)).runThrough(TASKS / 3, async () => {
        const release = lock(join(worker === 'billing' ? billingDisk : system.dataDir, `${worker}.sqlite`))
        try {
          const stuck = await waitFor(async () => {
            const r = await readiness(system.urls[worker])
            return r.status === 'not_ready' && Object.keys(r.faults).some((c) => c.startsWith('consumer')) ? r : undefined
          }, `${worker} to report its database`, 30_000)
          seen = JSON.stringify(stuck.faults)
          assert.match(seen, /locked|busy/i)
          await sleep(10_000)
          assert.equal(await deadLetters(), 0, 'nothing dead-lettered while the database is locked')
        } finally {
          release()
        }
      }, acknowledged)
      await waitFor(async () => (await readiness(system.urls[worker])).status === 'ready', `${worker} ready again`, 60_000)
      await verified(t, load, `faults while locked: ${seen}`)
    })
  }

  test('billing\'s disk fills up mid-load, then space is freed: billing stops and catches up, nothing lost', async (t) => {
    let seen = ''
    const load = await crewLoad(SEED + 22).runThrough(TASKS / 3, async () => {
      const free = await fill(billingDisk, 'billing.sqlite')
      try {
        const stuck = await waitFor(async () => {
          const r = await readiness(system.urls.billing)
          return r.status === 'not_ready' && Object.keys(r.faults).length > 0 ? r : undefined
        }, 'billing to report its full disk', 60_000)
        seen = JSON.stringify(stuck.faults)
        assert.match(seen, /full|SQLITE_FULL|ENOSPC|disk/i)
        await sleep(5000)
        assert.ok(system.pid('billing'), 'billing is still running')
      } finally {
        free()
      }
    }, acknowledged)
    await waitFor(async () => (await readiness(system.urls.billing)).status === 'ready', 'billing ready again', 60_000)
    await verified(t, load, `faults while full: ${seen}`)
  })

  test('tasks\' disk fills up: a new task is refused with 503 and nothing half-done; once space is back, tasks work again', async (t) => {
    let refusedTitle = ''
    let tries = 0
    const load = await crewLoad(SEED + 23).runThrough(TASKS / 3, async () => {
      const free = await fill(tasksDisk, 'tasks.sqlite')
      try {
        const popug = crew.popugs[0]!
        await waitFor(async () => {
          const title = `On a full disk, try ${(tries += 1)}`
          const made = await api<{ task_id?: string; error?: { code: string } }>(`${system.urls.tasks}/api/tasks`, popug.token, { body: { title } })
          // Until the database needs more of the disk, a write still fits: that task is as real as any.
          if (made.status === 201) acknowledged.created.push(made.body.task_id!)
          if (made.status !== 503) return false
          assert.equal(made.body.error?.code, 'unavailable')
          refusedTitle = title
          return true
        }, 'a 503 from tasks', 60_000)
        // Past the refusal tasks may write again for a while (its WAL is reused once checkpointed)
        // and be ready; what /readyz says all along is that its disk is full.
        await sleep(3000)
        const warnings = (await readiness(system.urls.tasks)).warnings ?? []
        assert.ok(warnings.some((w) => /disk of .* is \d+% full/.test(w)), `tasks warns of its full disk: ${JSON.stringify(warnings)}`)
      } finally {
        free()
      }
    }, acknowledged)
    await waitFor(async () => (await readiness(system.urls.tasks)).status === 'ready', 'tasks ready again', 60_000)
    await verified(t, load, `a creation refused with 503 after ${tries} tries on a full disk`)
    const streams = await connectTestStreams(system.nats.url)
    try {
      const halfDone = (await streams.events('TASKS', 'tasks.created.>')).filter((e) => (e.data as { title: string }).title === refusedTitle)
      assert.deepEqual(halfDone, [], 'the refused creation left no event behind')
    } finally {
      await streams.close()
    }
  })
})
