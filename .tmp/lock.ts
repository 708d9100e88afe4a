import Database from 'better-sqlite3'
import { join } from 'node:path'
import { ADMIN, api, login, startSystem } from '../workers/runtime/testing/system.ts'
import { hireCrew, Load } from '../scripts/faults/load.ts'
const system = await startSystem({ logs: true, workers: ['auth', 'tasks', 'billing'] })
const admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
const crew = await hireCrew(system.urls, admin, 3, 'x')
const load = new Load(system.urls, crew, { tasks: 100, clients: 2, seed: 1, reassignEvery: 50, completeShare: 0.5 })
const running = load.run()
await new Promise((r) => setTimeout(r, 1500))
const other = new Database(join(system.dataDir, 'billing.sqlite'), { timeout: 10_000 })
other.exec('BEGIN IMMEDIATE')
console.log('LOCKED')
await new Promise((r) => setTimeout(r, 12000))
console.log('READY?', await (await fetch(`${system.urls.billing}/readyz`)).text())
other.exec('ROLLBACK'); other.close()
console.log('RELEASED')
await running
await new Promise((r) => setTimeout(r, 3000))
console.log('READY?', await (await fetch(`${system.urls.billing}/readyz`)).text())
await system.stop()
