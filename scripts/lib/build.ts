// The workers as production runs them: compiled by tsc (tsconfig.build.json) into .build/ and
// run by plain node. The tsx loader costs a worker about 60 MB of resident memory (its thread
// and transpile caches), more than the worker's own heap. `make up`, `make cluster`,
// `make replay`, `make bench` and the image build first; tsc's build mode redoes only what
// changed, so an unchanged tree costs well under a second.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'

const root = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const lock = join(root, '.build', 'lock')
const STALE_LOCK_MS = 5 * 60_000

/** What runs a worker in production, relative to the root (deploy/Dockerfile's CMD too). */
export const builtEntrypoint = (name: WorkerName) => `.build/workers/${name}/main.js`

/**
 * Node's arguments for a worker in production (deploy/Dockerfile's CMD too). A worker's live
 * heap stays near 25 MB, but under load V8 lets the old generation fill with promoted garbage
 * up to its own default limit before a full collection: tasks reached 330 MB of RSS creating
 * 100k tasks. A cap of 128 MB makes it collect sooner, at no measurable cost in throughput.
 */
export const WORKER_NODE_ARGS = ['--max-old-space-size=128'] as const

/**
 * Environment every worker runs with in production (deploy/Dockerfile's ENV too). glibc gives
 * each thread that allocates (V8's compiler and collector threads, libuv's pool) an arena of
 * its own, up to eight per core, and memory freed in one stays resident: two arenas cut the
 * peak RSS of tasks by 17 MB and of billing by 6 MB in `make bench`, at no cost in throughput.
 */
export const WORKER_ENV = { MALLOC_ARENA_MAX: '2' } as const

/**
 * Compiles contracts/ and workers/ into .build/ (type errors fail it). tsc's build mode trusts
 * its record of what it emitted, so a worker missing a file it imports is built again in full.
 * One build at a time: two at once (tests starting `make up` and `make replay` together) would
 * let a worker read a file half written.
 */
export async function buildWorkers(): Promise<void> {
  await withLock(async () => {
    await tscBuild([])
    const missing = WORKERS.flatMap((w) => missingImports(builtEntrypoint(w)))
    if (missing.length > 0) await tscBuild(['--force'])
  })
}

async function tscBuild(extra: string[]): Promise<void> {
  try {
    await run(process.execPath, [tsc, '-b', 'tsconfig.build.json', ...extra], { cwd: root })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`building the workers (tsc -b tsconfig.build.json) failed:\n${stdout}${stderr}`)
  }
}

/** Files a compiled module imports, followed from it, that are not there. */
function missingImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return []
  seen.add(file)
  const path = join(root, file)
  if (!existsSync(path)) return [file]
  const source = readFileSync(path, 'utf8')
  return [...source.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].flatMap((m) =>
    missingImports(relative(root, resolve(root, dirname(file), m[1]!)), seen),
  )
}

/** Runs fn holding .build/lock (a directory: creating one is atomic); a lock its holder left behind is taken over. */
async function withLock(fn: () => Promise<void>): Promise<void> {
  mkdirSync(dirname(lock), { recursive: true })
  for (;;) {
    try {
      mkdirSync(lock)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (abandoned()) rmSync(lock, { recursive: true, force: true })
      else await new Promise((r) => setTimeout(r, 100))
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid))
  try {
    await fn()
  } finally {
    rmSync(join(lock, 'pid'), { force: true })
    rmdirSync(lock)
  }
}

function abandoned(): boolean {
  let pid: number
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'))
  } catch {
    // No pid yet: its holder is between creating the lock and naming itself, unless that was long ago.
    try {
      return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS
    } catch {
      return false
    }
  }
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
