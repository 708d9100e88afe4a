// Creating the streams and the lease buckets as the operator user, for `make up`, `make cluster`
// and the image's provisioning (scripts/provision.ts, compiled into .build/ with the workers:
// it imports nothing that is only there for development).
import { loadConfig } from '../../workers/runtime/config.ts'
import { connectNats, ensureBuckets, ensureStreams, manager } from '../../workers/runtime/nats.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'

/** Streams and the lease buckets are created (or brought to the configured replicas) by the operator user. */
export async function provisionStreams(servers: string[], ops: { user?: string; pass?: string }, replicas: number): Promise<void> {
  const nc = await connectNats({ servers, name: 'ates-provision', ...ops })
  try {
    await ensureStreams(await manager(nc), replicas)
    await ensureBuckets(nc, replicas, loadConfig().leaseTtlSeconds * 1000)
  } finally {
    await nc.close()
  }
}

/** provisionStreams, tried again until JetStream answers (a cluster elects its leader first). */
export async function provisionWhenReady(
  servers: string[],
  ops: { user?: string; pass?: string },
  replicas: number,
  timeoutMs = 60_000,
): Promise<void> {
  let lastError = ''
  const attempt = () =>
    provisionStreams(servers, ops, replicas).then(
      () => true,
      (error: Error) => {
        lastError = error.message
        return false
      },
    )
  try {
    await waitFor(attempt, `streams with ${replicas} replica(s) on ${servers.join(', ')}`, timeoutMs)
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${lastError}`)
  }
}

