import { execFileSync } from 'node:child_process'
import { closeSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { ADMIN, api, login, startSystem } from '../workers/runtime/testing/system.ts'
import { hireCrew, Load } from '../scripts/faults/load.ts'
const disk = '/tmp/ates-disk-dbg'
mkdirSync(disk, { recursive: true })
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', disk])
try {
  const system = await startSystem({ logs: true, workers: ['auth', 'tasks', 'billing'], workerEnv: { tasks: { ATES_DATA_DIR: disk } } })
  const admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  const crew = await hireCrew(system.urls, admin, 3, 'x')
  const load = new Load(system.urls, crew, { tasks: 200, clients: 2, seed: 1, reassignEvery: 50, completeShare: 0.5 })
  const running = load.run()
  await new Promise((r) => setTimeout(r, 1500))
  const fd = openSync(join(disk, 'filler'), 'w'); let size = 0; const chunk = Buffer.alloc(1 << 20)
  try { for (;;) size += writeSync(fd, chunk) } catch {}
  ftruncateSync(fd, size - 32 * 1024); closeSync(fd)
  console.log('FULL', size)
  const r = await api(`${system.urls.tasks}/api/tasks`, crew.popugs[0]!.token, { body: { title: 'On a full disk' } })
  console.log('POST', r.status, JSON.stringify(r.body))
  await new Promise((r) => setTimeout(r, 4000))
  console.log('READY?', await (await fetch(`${system.urls.tasks}/readyz`)).text())
  rmSync(join(disk, 'filler'))
  console.log('FREED')
  await running
  await new Promise((r) => setTimeout(r, 3000))
  console.log('READY?', await (await fetch(`${system.urls.tasks}/readyz`)).text())
  await system.stop()
} finally { execFileSync('umount', ['-l', disk]) }
