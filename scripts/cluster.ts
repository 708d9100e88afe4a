// `make cluster`: three nats-server nodes on loopback forming a JetStream cluster
// (deploy/nats/cluster/), streams with 3 replicas, every worker given all three URLs.
// `make cluster-kill NODE=2` kills a node (SIGKILL); `make cluster-start NODE=2` brings it back.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../workers/runtime/config.ts'
import { waitFor } from '../workers/runtime/testing/helpers.ts'
import { clientUrls, DEFAULT_PORTS, isNode, type Node, NODES, nodeArgs } from './lib/cluster.ts'
import { loadOrCreatePasswords, serverEnv } from './lib/nats-users.ts'
import { credentialsTable, seedOnce } from './lib/seed.ts'
import { presentWorkers, printUrls, provisionStreams, Stack, workerEnvironment } from './lib/stack.ts'

const config = loadConfig()
const base = join(config.dataDir, 'cluster')
const pidFile = (name: string) => join(base, `${name}.pid`)
const [command = 'run', nodeArg] = process.argv.slice(2)

function readPid(name: string): number {
  try {
    return Number(readFileSync(pidFile(name), 'utf8'))
  } catch {
    throw new Error(`no ${name} pid in ${base}: is \`make cluster\` running?`)
  }
}

async function run(): Promise<void> {
  const stack = new Stack()
  const passwords = loadOrCreatePasswords(config.dataDir)
  mkdirSync(base, { recursive: true })
  writeFileSync(pidFile('supervisor'), String(process.pid))
  const startNode = async (n: Node) => {
    const proc = await stack.startNats(`nats-${n}`, nodeArgs(n, DEFAULT_PORTS, join(base, `n${n}`)), serverEnv(passwords))
    writeFileSync(pidFile(`n${n}`), String(proc.pid))
    stack.say(`node ${n} up on ${clientUrls(DEFAULT_PORTS)[n - 1]}`)
  }
  process.on('SIGUSR2', () => {
    const requested = Number(readFileSync(join(base, 'start-request'), 'utf8'))
    if (isNode(requested)) startNode(requested).catch((error: Error) => stack.say(`node ${requested}: ${error.message}`))
  })
  try {
    await Promise.all(NODES.map(startNode))
    const servers = clientUrls(DEFAULT_PORTS)
    await waitFor(
      () => provisionStreams(servers, { user: 'ops', pass: passwords.ops }, 3).then(() => true, () => false),
      'the cluster to elect a leader and create the streams',
      60_000,
    )
    stack.say('streams ACCOUNTS, TASKS, BILLING, DLQ with 3 replicas')
    const workers = presentWorkers()
    const dataDir = join(base, 'workers')
    for (const name of workers) {
      stack.startWorker(name, { ...workerEnvironment(name, servers, passwords, 3), ATES_DATA_DIR: dataDir })
    }
    if (workers.includes('auth')) stack.say(`demo accounts created: ${await seedOnce(config, dataDir)}`)
    printUrls(stack, config, workers)
    if (workers.includes('auth')) for (const line of credentialsTable({ email: config.adminEmail, beak: config.adminBeak })) stack.say(line)
    stack.say('make cluster-kill NODE=2 kills a node, make cluster-start NODE=2 restarts it; Ctrl-C stops everything')
  } catch (error) {
    stack.say(`\x1b[31m${(error as Error).message}\x1b[0m`)
    await stack.stop(1)
  }
}

function node(): Node {
  if (!isNode(nodeArg)) throw new Error(`NODE must be 1, 2 or 3, got "${nodeArg ?? ''}"`)
  return Number(nodeArg) as Node
}

try {
  if (command === 'run') await run()
  else if (command === 'kill') {
    const n = node()
    process.kill(readPid(`n${n}`), 'SIGKILL')
    console.log(`node ${n} killed`)
  } else if (command === 'start') {
    const n = node()
    writeFileSync(join(base, 'start-request'), String(n))
    process.kill(readPid('supervisor'), 'SIGUSR2')
    console.log(`node ${n} restart requested (see the cluster's log)`)
  } else throw new Error(`unknown command ${command}: run | kill N | start N`)
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
