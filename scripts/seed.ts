// `make seed`: demo accounts (admin, manager, accountant, popugs) and tasks through the
// public HTTP API of auth and tasks. Run it against a running stack (make up).
import { loadConfig } from '../workers/runtime/config.ts'
import { credentialsTable, DEMO_ACCOUNTS, seedAccounts, seedTasks } from './lib/seed.ts'

const config = loadConfig()
try {
  const accounts = await seedAccounts(config.publicUrls.auth, { email: config.adminEmail, beak: config.adminBeak })
  const tasks = await seedTasks(config.publicUrls.auth, config.publicUrls.tasks)
  const existing = DEMO_ACCOUNTS.length - accounts
  console.log(`${accounts} demo accounts created${existing ? ` (${existing} already there)` : ''}, ${tasks} tasks created; log in with:`)
  for (const line of credentialsTable({ email: config.adminEmail, beak: config.adminBeak })) console.log(line)
} catch (error) {
  console.error(`seeding failed: ${(error as Error).message}\n(is the stack running? make up)`)
  process.exit(1)
}
