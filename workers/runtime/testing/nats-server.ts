// Test fixture: a real JetStream server per suite, on a free port with a temporary store.
// When a Docker engine is reachable it runs the testcontainers NATS module instead; tests
// that restart or kill the server (or need a config file) always use the local binary.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type NatsFixture = {
  url: string
  port: number
  /** Where the local server keeps its JetStream files. */
  storeDir: string
  kind: 'local' | 'container'
  /** Stops gracefully and starts again on the same port and store. */
  restart(): Promise<void>
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

export type NatsOptions = {
  /** A nats-server config file; its `listen`/`port` are overridden by -p. */
  configFile?: string
  /** Extra command-line arguments for the local binary. */
  args?: string[]
  /** Force the local binary even when Docker is reachable. */
  local?: boolean
  port?: number
  storeDir?: string
  /** Extra environment for the local binary (a config file may reference variables). */
  env?: Record<string, string>
}

/** Ports this process has handed out: never the same one twice. */
const handedOut = new Set<number>()

/**
 * A port nothing listens on, for a server a test starts. It is taken below the kernel's
 * ephemeral range: a port from that range can be given to an outgoing connection (a client of
 * any test running alongside) between this check and the server's bind, which then fails with
 * "address already in use"; and a node killed and restarted on its port would risk the same.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange()
  const floor = 10_000
  if (low - floor >= 1000) {
    for (let tries = 0; tries < 200; tries++) {
      const port = floor + Math.floor(Math.random() * (low - floor))
      if (handedOut.has(port) || !(await bindable(port))) continue
      handedOut.add(port)
      return port
    }
  }
  // No room below the ephemeral range: one the kernel picks.
  return listenOn(0)
}

/** The kernel's range of ports for outgoing connections (Linux; its default elsewhere). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (low && high) return [low, high]
  } catch {
    // Not Linux.
  }
  return [32_768, 60_999]
}

async function bindable(port: number): Promise<boolean> {
  return listenOn(port).then(() => true, () => false)
}

/** Listens on 127.0.0.1:port, closes, and returns the port it had. */
function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

function dockerReachable(): boolean {
  if (process.env.ATES_TEST_NATS === 'local') return false
  if (!process.env.DOCKER_HOST && !existsSync('/var/run/docker.sock')) return false
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 })
    return true
  } catch {
    return false
  }
}

export async function startNats(options: NatsOptions = {}): Promise<NatsFixture> {
  const needsLocal = options.local || options.configFile || options.args || options.env
  if (!needsLocal && dockerReachable()) return startContainer()
  return startLocal(options)
}

async function startContainer(): Promise<NatsFixture> {
  const { NatsContainer } = await import('@testcontainers/nats')
  let container = await new NatsContainer('nats:2.9-alpine').withJetStream().start()
  const port = container.getMappedPort(4222)
  const fixture: NatsFixture = {
    url: `nats://${container.getHost()}:${port}`,
    port,
    storeDir: '',
    kind: 'container',
    restart: async () => {
      throw new Error('restart needs the local nats-server (startNats({ local: true }))')
    },
    kill: async () => {
      throw new Error('kill needs the local nats-server (startNats({ local: true }))')
    },
    start: async () => {
      container = await new NatsContainer('nats:2.9-alpine').withJetStream().start()
    },
    stop: async () => {
      await container.stop()
    },
  }
  return fixture
}

async function startLocal(options: NatsOptions): Promise<NatsFixture> {
  const port = options.port ?? (await freePort())
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'ates-nats-'))
  const ownsStore = options.storeDir === undefined
  let child: ChildProcess | undefined

  const args = [
    ...(options.configFile ? ['-c', options.configFile] : []),
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-js',
    '-sd',
    storeDir,
    ...(options.args ?? []),
  ]

  const start = async () => {
    const proc = spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
    child = proc
    await new Promise<void>((resolve, reject) => {
      let output = ''
      const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${output}`)), 15_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Server is ready')) {
          clearTimeout(timer)
          resolve()
        }
      }
      proc.stdout?.on('data', onData)
      proc.stderr?.on('data', onData)
      proc.once('error', (error) => {
        clearTimeout(timer)
        reject(new Error(`cannot run nats-server (run scripts/ensure-nats-server.sh): ${error.message}`))
      })
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`nats-server exited with ${code}:\n${output}`))
      })
    })
    // Keep the pipes drained so the server never blocks on a full buffer.
    proc.stdout?.resume()
    proc.stderr?.resume()
  }

  const signal = async (sig: NodeJS.Signals) => {
    const proc = child
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill(sig)
    })
    child = undefined
  }

  await start()
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kind: 'local',
    start,
    restart: async () => {
      await signal('SIGTERM')
      await start()
    },
    kill: () => signal('SIGKILL'),
    stop: async () => {
      await signal('SIGTERM')
      if (ownsStore) rmSync(storeDir, { recursive: true, force: true })
    },
  }
}
