// The first `make up` says what it is doing while it installs: scripts/ensure-install.sh in a
// copy of the repository's manifests, with an npm on PATH that only records being run.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { promisify } from 'node:util'
import { tempDir } from '../workers/runtime/testing/helpers.ts'
import { root } from './lib/stack.ts'

const run = promisify(execFile)
const dir = tempDir('ates-install-')
after(() => dir.remove())

test('ensure-install.sh: progress lines on stderr around npm ci, then nothing while the lockfile is unchanged', async () => {
  const repo = join(dir.path, 'repo')
  mkdirSync(join(repo, 'scripts'), { recursive: true })
  for (const file of ['package.json', 'package-lock.json', 'scripts/ensure-install.sh']) copyFileSync(join(root, file), join(repo, file))
  const bin = join(dir.path, 'bin')
  mkdirSync(bin)
  const calls = join(dir.path, 'npm-calls')
  writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho "$@" >> '${calls}'\nmkdir -p node_modules\n`)
  chmodSync(join(bin, 'npm'), 0o755)
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` }
  const install = () => run('bash', [join(repo, 'scripts', 'ensure-install.sh')], { env })

  const first = await install()
  assert.match(first.stderr, /^\[ates\] installing npm dependencies \(first run: npm ci, about a minute\)…\n\[ates\] npm dependencies installed in \d+ s\n$/)
  assert.equal(first.stdout, '')
  assert.equal(readFileSync(calls, 'utf8'), 'ci --no-audit --no-fund --loglevel=error\n')
  assert.ok(existsSync(join(repo, 'node_modules', '.installed')))

  const again = await install()
  assert.equal(again.stderr, '', 'nothing to do, nothing said')
  assert.equal(readFileSync(calls, 'utf8').split('\n').filter(Boolean).length, 1)

  writeFileSync(join(repo, 'package-lock.json'), `${readFileSync(join(repo, 'package-lock.json'), 'utf8')}\n`)
  const changed = await install()
  assert.match(changed.stderr, /^\[ates\] package-lock\.json changed: installing npm dependencies/)
})
