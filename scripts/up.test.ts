// `make up` as a terminal runs it: the workers built and run compiled, NATS and every worker
// start with their own users, the demo accounts can log in, the URLs and credentials are
// printed, and Ctrl-C (SIGINT to the whole process group) leaves nothing running.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { after, test } from 'node:test'
import { WORKERS, type WorkerName } from '../workers/runtime/config.ts'
import { tempDir, waitFor } from '../workers/runtime/testing/helpers.ts'
import { freePort } from '../workers/runtime/testing/nats-server.ts'
import { login } from '../workers/runtime/testing/system.ts'
import { DEMO_ACCOUNTS } from './lib/seed.ts'
import { root } from './lib/stack.ts'

const dir = tempDir('ates-up-')
after(() => dir.remove())

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })

/** Processes whose command line or environment names the data dir. */
function processesOf(dataDir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const seen = readFileSync(`/proc/${pid}/cmdline`, 'utf8') + readFileSync(`/proc/${pid}/environ`, 'utf8')
      if (seen.includes(dataDir)) found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`)
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

test('make up starts everything with demo accounts, and Ctrl-C stops it all', async () => {
  const ports = { nats: await freePort() } as Record<WorkerName | 'nats', number>
  for (const w of WORKERS) ports[w] = await freePort()
  const env: Record<string, string> = { ATES_DATA_DIR: dir.path, ATES_NATS_PORT: String(ports.nats), ATES_LOG_LEVEL: 'warn' }
  for (const w of WORKERS) env[`ATES_${w.toUpperCase()}_PORT`] = String(ports[w])
  const { ATES_NATS_URL: _ignored, ...inherited } = process.env
  // -o: a test never reinstalls the dependencies it runs on.
  const make = spawn('make', ['--no-print-directory', 'up'], { cwd: root, env: { ...inherited, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  for (const stream of [make.stdout, make.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()))
  // make waits for its recipe to finish, then ends on the SIGINT itself, as in a terminal.
  const exited = new Promise<void>((resolve) => make.once('exit', () => resolve()))
  try {
    await waitFor(() => output.includes('Ctrl-C stops everything') || make.exitCode !== null, 'the stack to start', 120_000)
    assert.match(output, /demo accounts created: 6/)
    for (const w of WORKERS) assert.match(output, new RegExp(`\\[ates\\] ${w} +http://localhost:${ports[w]}/`))
    for (const account of DEMO_ACCOUNTS) assert.ok(output.includes(`${account.email} / ${account.beak}`), account.email)
    const popug = DEMO_ACCOUNTS.find((a) => a.role === 'popug')!
    assert.ok(await login(`http://localhost:${ports.auth}`, popug.email, popug.beak))
    const running = processesOf(dir.path)
    assert.ok(running.length >= 1 + WORKERS.length, 'nats-server and every worker run')
    for (const w of WORKERS) {
      // Compiled, on plain node: the tsx loader alone would cost each worker tens of MB.
      const worker = running.filter((p) => p.includes(`.build/workers/${w}/main.js`))
      assert.equal(worker.length, 1, `${w} runs from .build/: ${running.join('; ')}`)
      assert.doesNotMatch(worker[0]!, /tsx/)
    }
  } finally {
    process.kill(-make.pid!, 'SIGINT')
  }
  await exited
  assert.match(output, /\[ates\] stopping…\n(?:.*\n)*\[ates\] stopped\n/)
  for (const [what, port] of Object.entries(ports)) assert.equal(await listening(port), false, `${what} no longer listens on ${port}`)
  assert.deepEqual(processesOf(dir.path), [])
})
