// `make cluster-kill` pointed at a directory no cluster runs from says so, and leaves the
// directory as it was (no passwords made up for a cluster that is not there).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../workers/runtime/testing/helpers.ts'
import { root } from './lib/stack.ts'

for (const [what, env] of [
  ['WORKER=billing', { WORKER: 'billing' }],
  ['NODE=2', {}],
] as const) {
  test(`cluster-kill ${what} with no cluster on ATES_DATA_DIR says which directory it looked in`, () => {
    const dir = tempDir('ates-nocluster-')
    try {
      const dataDir = join(dir.path, 'data')
      const args = ['--import', 'tsx', join(root, 'scripts/cluster.ts'), 'kill', ...(what === 'NODE=2' ? ['2'] : [])]
      const run = spawnSync(process.execPath, args, { cwd: root, env: { ...process.env, ...env, ATES_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 })
      assert.notEqual(run.status, 0)
      assert.ok(run.stderr.includes(`is not running`) && run.stderr.includes(`ATES_DATA_DIR=${dataDir}`), run.stderr)
      assert.doesNotMatch(run.stderr, /Authorization Violation/)
      assert.ok(!existsSync(dataDir) || readdirSync(dataDir).every((f) => !f.includes('users')), `nothing written in ${dataDir}: ${existsSync(dataDir) ? readdirSync(dataDir) : ''}`)
    } finally {
      dir.remove()
    }
  })
}
