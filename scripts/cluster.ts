// `make cluster`: three nats-server nodes on loopback forming a JetStream cluster
// (deploy/nats/cluster/), streams with 3 replicas, every worker given all three URLs.
// `make cluster-kill NODE=2` kills a node (SIGKILL); `make cluster-start NODE=2` brings it back.
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kvm } from '@nats-io/kv'
import { loadConfig, WORKERS, type WorkerName } from '../workers/runtime/config.ts'
import { BUCKETS, connectNats } from '../workers/runtime/nats.ts'
import { startBalancer, type Balancer } from './lib/balancer.ts'
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
const INSTANCES = ['a', 'b'] as const
const INSTANCE_OFFSET = { a: 100, b: 200 } as const
const balancers: Balancer[] = []

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
    // Two instances of every worker (own data dirs and ports: a on the worker's port + 100, b on
    // + 200), and on each worker's own port a load balancer sending requests to the active one.
    const publicUrls = Object.fromEntries(workers.map((w) => [`ATES_${w.toUpperCase()}_URL`, config.publicUrls[w]]))
    for (const instance of INSTANCES) {
      for (const name of workers) {
        const port = config.ports[name] + INSTANCE_OFFSET[instance]
        stack.startWorker(
          name,
          { ...workerEnvironment(name, servers, passwords, 3), ...publicUrls, ATES_DATA_DIR: join(base, `workers-${instance}`), ATES_INSTANCE: instance, [`ATES_${name.toUpperCase()}_PORT`]: String(port) },
          // Started again only after the lease's TTL, as a machine coming back would be: the other
          // instance takes over first.
          { label: `${name}-${instance}`, onStart: (pid) => writeFileSync(pidFile(`${name}-${instance}`), String(pid)), firstRestartMs: (config.leaseTtlSeconds + 5) * 1000 },
        )
      }
    }
    for (const name of workers) {
      const targets = INSTANCES.map((i) => `http://127.0.0.1:${config.ports[name] + INSTANCE_OFFSET[i]}`)
      balancers.push(await startBalancer({ port: config.ports[name], targets }))
    }
    if (workers.includes('auth')) stack.say(await seedOnce(config, join(base, 'workers-a')))
    printUrls(stack, config, workers)
    stack.say(`each worker runs as instances a and b (ports +${INSTANCE_OFFSET.a} and +${INSTANCE_OFFSET.b}); the ports above are load balancers sending requests to the active one`)
    if (workers.includes('auth')) {
      stack.say('log in with:')
      for (const line of credentialsTable({ email: config.adminEmail, beak: config.adminBeak })) stack.say(line)
    }
    stack.say(`make tail and make dlq reach node 1; ATES_NATS_URL=${servers.join(',')} gives them all three`)
    stack.say('make cluster-kill NODE=2 kills a node, make cluster-start NODE=2 restarts it; make cluster-kill WORKER=billing kills its active instance; Ctrl-C stops everything')
  } catch (error) {
    stack.say(`\x1b[31m${(error as Error).message}\x1b[0m`)
    await stack.stop(1)
  }
}

/** The instance of a worker that holds its lease now (analytics and audit have none: instance a). */
async function activeInstance(worker: WorkerName): Promise<string> {
  const passwords = loadOrCreatePasswords(config.dataDir)
  const nc = await connectNats({ servers: clientUrls(ports), name: 'ates-cluster-kill', user: 'ops', pass: passwords.ops })
  try {
    const leases = await new Kvm(nc).open(BUCKETS.leases)
    const entry = await leases.get(worker)
    if (!entry || entry.operation !== 'PUT' || entry.value.length === 0) return 'a'
    return entry.json<{ instance: string }>().instance
  } finally {
    await nc.close()
  }
}

function node(): Node {
  if (!isNode(nodeArg)) throw new Error(`NODE must be 1, 2 or 3, got "${nodeArg ?? ''}"`)
  return Number(nodeArg) as Node
}

try {
  if (command === 'run') await run()
  else if (command === 'kill' && process.env.WORKER) {
    const worker = process.env.WORKER as WorkerName
    if (!WORKERS.includes(worker)) throw new Error(`WORKER must be one of ${WORKERS.join(', ')}, got "${worker}"`)
    // Asked before the lease: another directory's passwords would only get "Authorization Violation".
    if (livePid('supervisor', 'cluster.ts') === undefined) throw new Error(`\`make cluster\` is not running with ATES_DATA_DIR=${config.dataDir}`)
    const instance = await activeInstance(worker)
    const pid = livePid(`${worker}-${instance}`, 'main.js')
    if (pid === undefined) throw new Error(`${worker} ${instance} is not running (is \`make cluster\` running with ATES_DATA_DIR=${config.dataDir}?)`)
    process.kill(pid, 'SIGKILL')
    console.log(`${worker} ${instance} (the active instance) killed; the other takes over within the lease's TTL, and make cluster starts this one again as a standby`)
  } else if (command === 'kill') {
    const n = node()
    const pid = livePid(`n${n}`, 'nats-server')
    if (pid === undefined) throw new Error(`node ${n} is not running (is \`make cluster\` running with ATES_DATA_DIR=${config.dataDir}?)`)
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
