// The lease against a real nats-server and KV bucket: won once, renewed by one chain of
// timers, given up after a failed activation and tried for again a few seconds later.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import { Lease } from './lease.ts'
import { silentLogger } from './log.ts'
import { connectNats, ensureBuckets } from './nats.ts'
import { sleep, waitFor } from './testing/helpers.ts'
import { type NatsFixture, startNats } from './testing/nats-server.ts'

// The holder stops SAFETY_MS (2 s) before the TTL: 4 s leaves it 2 s after each renewal.
const TTL_MS = 4000

let nats: NatsFixture
let nc: NatsConnection
let kv: KV

before(async () => {
  nats = await startNats()
  nc = await connectNats({ servers: [nats.url], name: 'lease-test' })
  kv = (await ensureBuckets(nc, 1, TTL_MS)).leases
})

after(async () => {
  await nc?.close()
  await nats?.stop()
})

/** The bucket, with its renewals (update) counted as they reach it. */
function counted(bucket: KV): { kv: KV; updates: () => number } {
  let updates = 0
  const kv = new Proxy(bucket, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (key !== 'update') return typeof value === 'function' ? value.bind(target) : value
      return (...args: Parameters<KV['update']>) => {
        updates += 1
        return target.update(...args)
      }
    },
  })
  return { kv, updates: () => updates }
}

test('an instance that could not become active gives the lease up, tries again seconds later, and then renews it at one pace', async () => {
  const { kv: bucket, updates } = counted(kv)
  const lease = new Lease({ kv: bucket, worker: 'gave-up', instance: 'a', url: 'http://127.0.0.1:1', ttlMs: TTL_MS, log: silentLogger })
  const wins: number[] = []
  // As runWorker does: an activation that fails (the streams not answering yet) gives the lease up.
  lease.onWon = async () => {
    wins.push(performance.now())
    if (wins.length === 1) await lease.giveUp()
  }
  try {
    await lease.start()
    assert.equal(wins.length, 1)
    assert.equal(lease.held(), false, 'given up')
    assert.equal((await kv.get('gave-up'))?.operation, 'DEL', 'the key is free for another instance at once')

    await waitFor(() => wins.length === 2, 'the lease won again', 10_000)
    assert.ok(wins[1]! - wins[0]! >= 4500, `tried again ${Math.round(wins[1]! - wins[0]!)} ms after giving up, not at once`)
    assert.ok(lease.held())

    // Renewed every TTL/4 by one chain of timers, not by two racing each other with one revision.
    const before = updates()
    await sleep(2 * TTL_MS)
    const renewals = updates() - before
    assert.ok(renewals >= 6 && renewals <= 10, `${renewals} renewals in ${2 * TTL_MS} ms (one every ${TTL_MS / 4} ms)`)
    assert.ok(lease.held(), 'still held: no renewal lost to a rival one')
  } finally {
    await lease.release()
  }
})

test('a lease released is not renewed any more, and another instance takes it at once', async () => {
  const first = new Lease({ kv, worker: 'released', instance: 'a', url: 'http://127.0.0.1:1', ttlMs: TTL_MS, log: silentLogger })
  const second = new Lease({ kv, worker: 'released', instance: 'b', url: 'http://127.0.0.1:2', ttlMs: TTL_MS, log: silentLogger })
  try {
    await first.start()
    assert.ok(first.held())
    await second.start()
    assert.equal(second.held(), false, 'a second instance waits')
    assert.equal((await second.holder())?.instance, 'a')
    await first.release()
    await waitFor(() => second.held(), 'the second instance to take the lease', 5000)
    assert.equal((await first.holder())?.instance, 'b')
    assert.equal(first.held(), false)
  } finally {
    await first.release()
    await second.release()
  }
})
