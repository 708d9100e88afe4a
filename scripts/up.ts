// `make up`: one JetStream node (unless ATES_NATS_URL points elsewhere), every worker with
// its own NATS user, demo accounts on the first start, readable logs. Ctrl-C stops all.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../workers/runtime/config.ts'
import { loadOrCreatePasswords, operatorCredentials, type Passwords, SINGLE_CONFIG, serverEnv } from './lib/nats-users.ts'
import { credentialsTable, seedOnce } from './lib/seed.ts'
import { presentWorkers, printUrls, provisionWhenReady, Stack, workerEnvironment } from './lib/stack.ts'

const config = loadConfig()
const stack = new Stack()

try {
  await stack.build()
  let passwords: Passwords | undefined
  const servers = config.natsServers
  if (!process.env.ATES_NATS_URL) {
    passwords = loadOrCreatePasswords(config.dataDir)
    const storeDir = join(config.dataDir, 'nats')
    mkdirSync(storeDir, { recursive: true })
    const port = servers[0]!.split(':').at(-1)!
    await stack
      .startNats('nats', ['-c', SINGLE_CONFIG, '-a', '127.0.0.1', '-p', port, '-sd', storeDir], serverEnv(passwords))
      .catch((error: Error) => {
        throw new Error(`${error.message}\n(is port ${port} taken? set ATES_NATS_PORT)`)
      })
    stack.say(`NATS JetStream on nats://127.0.0.1:${port}, store in ${storeDir}, users from deploy/nats/users.conf`)
    await provisionWhenReady(servers, { user: 'ops', pass: passwords.ops }, 1)
  } else {
    stack.say(`using NATS at ${servers.join(', ')}`)
    await provisionWhenReady(servers, operatorCredentials(config), config.streamReplicas)
  }
  const workers = presentWorkers()
  stack.progress(`starting ${workers.join(', ')}…`)
  for (const name of workers) stack.startWorker(name, workerEnvironment(name, servers, passwords, config.streamReplicas))
  if (workers.includes('auth')) stack.say(await seedOnce(config, config.dataDir))
  stack.say(`data in ${config.dataDir}`)
  printUrls(stack, config, workers)
  if (workers.includes('auth')) {
    stack.say('log in with (ATES_ADMIN_EMAIL / ATES_ADMIN_BEAK set the admin):')
    for (const line of credentialsTable({ email: config.adminEmail, beak: config.adminBeak })) stack.say(line)
  }
  if (workers.length === 0) stack.say('no workers yet: NATS only')
  stack.say('Ctrl-C stops everything')
} catch (error) {
  stack.say(`\x1b[31m${(error as Error).message}\x1b[0m`)
  await stack.stop(1)
}
