// Creates the streams and the lease buckets (or brings them to ATES_STREAM_REPLICAS) as the operator user, as
// `make up` and `make cluster` do before the workers start, whose users may only look at
// streams. The compose file's `provision` service runs it; it waits for NATS and for
// JetStream to elect a leader. `make build` compiles it with the workers, and the image runs
// it on plain node (.build/scripts/provision.js).
import { loadConfig } from '../workers/runtime/config.ts'
import { STREAMS } from '../workers/runtime/nats.ts'
import { operatorCredentials } from './lib/nats-users.ts'
import { provisionWhenReady } from './lib/provision.ts'

const config = loadConfig()
try {
  await provisionWhenReady(config.natsServers, operatorCredentials(config), config.streamReplicas, 120_000)
  console.log(`streams ${Object.keys(STREAMS).join(', ')} and the lease buckets with ${config.streamReplicas} replica(s) on ${config.natsServers.join(', ')}`)
} catch (error) {
  console.error((error as Error).message)
  process.exit(1)
}
