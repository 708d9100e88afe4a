// How the operator commands (make tail, make stream-report) reach NATS: with the operator's
// credentials, saying where on stderr, and giving up with a clear message when nothing answers.
import type { NatsConnection } from '@nats-io/nats-core'
import type { Config } from '../../workers/runtime/config.ts'
import { connectNats } from '../../workers/runtime/nats.ts'
import { operatorCredentials } from './nats-users.ts'

/** How long to try the servers before saying they cannot be reached. */
export const CONNECT_SECONDS = 5

/** Where a command connects, for its first line on stderr: the servers and the user. */
export function destination(config: Config): string {
  const { user } = operatorCredentials(config)
  return `${config.natsServers.join(', ')}${user ? ` as ${user}` : ''}`
}

/** Connects, or rejects within CONNECT_SECONDS with what to check. */
export async function connectWithin(config: Config, name: string): Promise<NatsConnection> {
  const servers = config.natsServers.join(', ')
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`cannot connect to ${servers} within ${CONNECT_SECONDS} s: is NATS running (make up), or set ATES_NATS_URL (and ATES_NATS_USER / ATES_NATS_PASS)`)),
      CONNECT_SECONDS * 1000,
    )
  })
  const connecting = connectNats({ servers: config.natsServers, name, ...operatorCredentials(config) }).catch((error: Error) => {
    throw new Error(`cannot connect to ${servers}: ${error.message}`)
  })
  try {
    return await Promise.race([connecting, late])
  } finally {
    clearTimeout(timer)
  }
}
