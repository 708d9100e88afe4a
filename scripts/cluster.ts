// `make cluster`: three nats-server nodes on loopback forming a JetStream cluster
// (deploy/nats/cluster/), streams with 3 replicas, every worker given all three URLs.
// `make cluster-kill NODE=2` kills a node (SIGKILL); `make cluster-start NODE=2` brings it back.
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../workers/runtime/config.ts'
import { STREAMS } from '../workers/runtime/nats.ts'
import { clientUrls, clusterPorts, isNode, type Node, NODES, nodeArgs } from './lib/cluster.ts'
import { loadOrCreatePasswords, serverEnv } from './lib/nats-users.ts'
import { credentialsTable, seedOnce } from './lib/seed.ts'
import { presentWorkers, printUrls, provisionWhenReady, Stack, workerEnvironment } from './lib/stack.ts'

const config = loadConfig()
const ports = clusterPorts(process.env)
const base = join(config.dataDir, 'cluster')
const pidFile = (name: string) => join(base, `${name}.pid`)
const [command = 'run', nodeArg] = process.argv.slice(2)

/** The pid a running cluster wrote, if that process still runs the expected program. */
function livePid(name: string, program: string): number | undefined {
  let pid: number
  try {
    pid = Number(readFileSync(pidFile(name), 'utf8'))
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  // A pid file outliving its process may name someone else's process by now.
  const cmdline = `/proc/${pid}/cmdline`
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').includes(program)) return undefined
  return pid
}

async function run(): Promise<void> {
  const stack = new Stack()
  const passwords = loadOrCreatePasswords(config.dataDir)
  mkdirSync(base, { recursive: true })
  writeFileSync(pidFile('supervisor'), String(process.pid))
  const running = new Map<Node, ChildProcess>()
  process.on('exit', () => {
    for (const name of ['supervisor', ...NODES.map((n) => `n${n}`)]) rmSync(pidFile(name), { force: true })
  })
  const startNode = async (n: Node) => {
    const proc = await stack.startNats(`nats-${n}`, nodeArgs(n, ports, join(base, `n${n}`)), serverEnv(passwords))
    running.set(n, proc)
    writeFileSync(pidFile(`n${n}`), String(proc.pid))
    proc.once('exit', () => {
      if (running.get(n) !== proc) return
      running.delete(n)
      rmSync(pidFile(`n${n}`), { force: true })
    })
    stack.say(`node ${n} up on ${clientUrls(ports)[n - 1]}`)
  }
  process.on('SIGUSR2', () => {
    const requested = Number(readFileSync(join(base, 'start-request'), 'utf8'))
    if (!isNode(requested)) return
    if (running.has(requested)) stack.say(`node ${requested} is already running`)
    else startNode(requested).catch((error: Error) => stack.say(`node ${requested}: ${error.message}`))
  })
  try {
    await stack.build()
    await Promise.all(NODES.map(startNode))
    const servers = clientUrls(ports)
    await provisionWhenReady(servers, { user: 'ops', pass: passwords.ops }, 3)
    stack.say(`streams ${Object.keys(STREAMS).join(', ')} with 3 replicas`)
    const workers = presentWorkers()
    const dataDir = join(base, 'workers')
    for (const name of workers) {
      stack.startWorker(name, { ...workerEnvironment(name, servers, passwords, 3), ATES_DATA_DIR: dataDir })
    }
    if (workers.includes('auth')) stack.say(await seedOnce(config, dataDir))
    printUrls(stack, config, workers)
    if (workers.includes('auth')) {
      stack.say('log in with:')
      for (const line of credentialsTable({ email: config.adminEmail, beak: config.adminBeak })) stack.say(line)
    }
    stack.say(`make tail and make dlq reach node 1; ATES_NATS_URL=${servers.join(',')} gives them all three`)
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
    const pid = livePid(`n${n}`, 'nats-server')
    if (pid === undefined) throw new Error(`node ${n} is not running (is \`make cluster\` running, with the same ATES_DATA_DIR?)`)
    process.kill(pid, 'SIGKILL')
    console.log(`node ${n} killed`)
  } else if (command === 'start') {
    const n = node()
    const supervisor = livePid('supervisor', 'cluster.ts')
    if (supervisor === undefined) throw new Error(`\`make cluster\` is not running with ATES_DATA_DIR=${config.dataDir}`)
    writeFileSync(join(base, 'start-request'), String(n))
    process.kill(supervisor, 'SIGUSR2')
    console.log(`node ${n} restart requested (see the cluster's log)`)
  } else throw new Error(`unknown command ${command}: run | kill N | start N`)
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
