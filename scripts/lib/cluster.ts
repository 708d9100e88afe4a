// The three-node JetStream cluster of deploy/nats/cluster/: node configs, and the ports
// `make cluster` uses (tests pass their own free ports; flags override the config files).
import { clusterConfig } from './nats-users.ts'

export const NODES = [1, 2, 3] as const
export type Node = (typeof NODES)[number]
export type ClusterPorts = { client: Record<Node, number>; route: Record<Node, number> }

/** The ports written in deploy/nats/cluster/node<N>.conf. */
export const DEFAULT_PORTS: ClusterPorts = {
  client: { 1: 4222, 2: 4223, 3: 4224 },
  route: { 1: 6242, 2: 6243, 3: 6244 },
}

/** Node N listens on ATES_NATS_PORT + N − 1 and routes on ATES_CLUSTER_ROUTE_PORT + N − 1. */
export function clusterPorts(env: Record<string, string | undefined>): ClusterPorts {
  const base = (key: string, fallback: number) => {
    const value = Number(env[key] || fallback)
    if (!Number.isInteger(value) || value <= 0 || value > 65533) throw new Error(`${key} must be a port number, got "${env[key]}"`)
    return value
  }
  const client = base('ATES_NATS_PORT', DEFAULT_PORTS.client[1])
  const route = base('ATES_CLUSTER_ROUTE_PORT', DEFAULT_PORTS.route[1])
  return {
    client: { 1: client, 2: client + 1, 3: client + 2 },
    route: { 1: route, 2: route + 1, 3: route + 2 },
  }
}

export function isNode(value: unknown): value is Node {
  return NODES.includes(Number(value) as Node)
}

/** Arguments for node N besides its client port and store dir. */
export function routeArgs(node: Node, ports: ClusterPorts): string[] {
  return [
    '-cluster',
    `nats://127.0.0.1:${ports.route[node]}`,
    '-routes',
    NODES.map((n) => `nats://127.0.0.1:${ports.route[n]}`).join(','),
  ]
}

export function nodeArgs(node: Node, ports: ClusterPorts, storeDir: string): string[] {
  return ['-c', clusterConfig(node), '-a', '127.0.0.1', '-p', String(ports.client[node]), ...routeArgs(node, ports), '-sd', storeDir]
}

export function clientUrls(ports: ClusterPorts): string[] {
  return NODES.map((n) => `nats://127.0.0.1:${ports.client[n]}`)
}

/** "ates-n2" (a node's server_name) → 2. */
export function nodeOfServer(serverName: string | undefined): Node | undefined {
  const n = Number(/ates-n(\d)$/.exec(serverName ?? '')?.[1])
  return isNode(n) ? n : undefined
}
