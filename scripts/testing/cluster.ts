// Test fixture: the three-node cluster of deploy/nats/cluster/ on free loopback ports, with
// the per-worker users of deploy/nats/users.conf and the streams provisioned by `ops` with
// three replicas, as `make cluster` does. A test kills and restarts nodes at will.
import { join } from 'node:path'
import type { JetStreamManager } from '@nats-io/jetstream'
import { connect, headers, type NatsConnection } from '@nats-io/transport-node'
import { connectNats, inboxOf, manager, STREAMS, type StreamName } from '../../workers/runtime/nats.ts'
import { tempDir, waitFor } from '../../workers/runtime/testing/helpers.ts'
import { freePort, type NatsFixture, startNats } from '../../workers/runtime/testing/nats-server.ts'
import { type ClusterPorts, NODES, type Node, nodeOfServer, routeArgs } from '../lib/cluster.ts'
import { clusterConfig, generatePasswords, type NatsUser, type Passwords, serverEnv } from '../lib/nats-users.ts'
import { provisionWhenReady } from '../lib/stack.ts'

export type TestCluster = {
  /** Client URLs of nodes 1, 2 and 3. */
  urls: string[]
  passwords: Passwords
  node(n: Node): NatsFixture
  /** A connection as one of the users, closed by stop(). */
  connect(user: NatsUser): Promise<NatsConnection>
  /** The node leading a stream's replicas. */
  leaderOf(stream: StreamName): Promise<Node>
  /** Resolves once each stream has three peers, all current, none offline. */
  replicasCurrent(streams: StreamName[], timeoutMs?: number): Promise<void>
  /** Each stream's leader and replicas as the cluster answers now, for a failing test's message. */
  describe(): Promise<string>
  stop(): Promise<void>
}

export async function startCluster(): Promise<TestCluster> {
  const dir = tempDir('ates-cluster-')
  const passwords = generatePasswords()
  const ports: ClusterPorts = { client: { 1: 0, 2: 0, 3: 0 }, route: { 1: 0, 2: 0, 3: 0 } }
  for (const n of NODES) {
    ports.client[n] = await freePort()
    ports.route[n] = await freePort()
  }
  const started = await Promise.allSettled(
    NODES.map((n) =>
      startNats({
        configFile: clusterConfig(n),
        port: ports.client[n],
        storeDir: join(dir.path, `n${n}`),
        args: routeArgs(n, ports),
        env: serverEnv(passwords),
      }),
    ),
  )
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    // A node that did not start leaves none of the others running (they would keep the test process alive).
    for (const s of started) if (s.status === 'fulfilled') await s.value.stop()
    dir.remove()
    throw failed.reason
  }
  const nodes = started.map((s) => (s as PromiseFulfilledResult<NatsFixture>).value)
  const urls = nodes.map((node) => node.url)
  const connections: NatsConnection[] = []
  const stop = async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)))
    for (const node of nodes) await node.stop()
    dir.remove()
  }

  let ops: JetStreamManager
  try {
    // The meta leader is elected a moment after the nodes are up.
    await provisionWhenReady(urls, { user: 'ops', pass: passwords.ops }, 3)
    const nc = await connectNats({ servers: urls, name: 'test-ops', user: 'ops', pass: passwords.ops })
    connections.push(nc)
    ops = await manager(nc)
  } catch (error) {
    await stop()
    throw error
  }

  return {
    urls,
    passwords,
    node: (n) => nodes[n - 1]!,
    connect: async (user) => {
      // A worker's user gets its answers on its own inbox only (deploy/nats/users.conf).
      const nc = await connectNats({ servers: urls, name: `test-${user}`, user, pass: passwords[user], ...(user === 'ops' ? {} : { inboxPrefix: inboxOf(user) }) })
      connections.push(nc)
      return nc
    },
    leaderOf: async (stream) => {
      const leader = (await ops.streams.info(stream)).cluster?.leader
      const node = nodeOfServer(leader)
      if (!node) throw new Error(`stream ${stream} is led by ${leader}, not one of ates-n1..3`)
      return node
    },
    replicasCurrent: async (streams, timeoutMs = 60_000) => {
      for (const stream of streams) {
        await waitFor(
          async () => {
            const cluster = await ops.streams.info(stream).then((info) => info.cluster, () => undefined)
            const peers = cluster?.replicas ?? []
            return cluster?.leader !== undefined && peers.length === 2 && peers.every((p) => p.current && !p.offline && !p.lag)
          },
          `every replica of ${stream} current`,
          timeoutMs,
        )
      }
    },
    describe: async () => {
      const streams = await Promise.all(
        (Object.keys(STREAMS) as StreamName[]).map(async (stream) => {
          const cluster = await ops.streams.info(stream).then((info) => info.cluster, (error: unknown) => `no answer (${(error as Error).message})`)
          if (typeof cluster === 'string' || cluster === undefined) return `${stream}: ${cluster ?? 'no cluster info'}`
          const peers = (cluster.replicas ?? []).map((p) => `${p.name}${p.current ? '' : ' not current'}${p.offline ? ' offline' : ''}${p.lag ? ` lag ${p.lag}` : ''}`)
          return `${stream}: leader ${cluster.leader ?? 'none'}, replicas ${peers.join(', ') || 'none'}`
        }),
      )
      // Whether each node takes a publish to TASKS: a probe the stream refuses (it expects another
      // stream) is answered by the stream, or with 503 no responders by the node itself.
      const probes = await Promise.all(
        NODES.map(async (n) => {
          const nc = await connect({ servers: [urls[n - 1]!], name: `test-probe-${n}`, user: 'ops', pass: passwords.ops, maxReconnectAttempts: 0, timeout: 2000 }).catch(() => undefined)
          if (!nc) return `node ${n}: down`
          try {
            const h = headers()
            h.set('Nats-Expected-Stream', 'NOT-TASKS')
            const answer = await nc.request('tasks.probe.v0', '', { headers: h, timeout: 2000 }).then(
              (m) => (m.headers?.code === 503 ? '503 no responders' : `the stream answers (${m.string().slice(0, 60)})`),
              (error: unknown) => (error as Error).message,
            )
            return `node ${n} (${nc.info?.server_name}): ${answer}`
          } finally {
            await nc.close()
          }
        }),
      )
      return `${streams.join('; ')}; a publish to TASKS through each node: ${probes.join('; ')}`
    },
    stop,
  }
}
