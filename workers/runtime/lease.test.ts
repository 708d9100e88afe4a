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

test('an activation longer than the TTL keeps the lease: renewed while it runs, held as it ends, never taken meanwhile', async () => {
  const { kv: bucket, updates } = counted(kv)
  const first = new Lease({ kv: bucket, worker: 'slow-start', instance: 'a', url: 'http://127.0.0.1:1', ttlMs: TTL_MS, log: silentLogger })
  const second = new Lease({ kv, worker: 'slow-start', instance: 'b', url: 'http://127.0.0.1:2', ttlMs: TTL_MS, log: silentLogger })
  let heldThroughout = true
  let lost = 0
  first.onLost = () => {
    lost++
  }
  // As billing's activation does: its own stream read back for longer than the TTL, in steps.
  first.onWon = async () => {
    for (let step = 0; step < 12; step++) {
      await sleep(TTL_MS / 8)
      if (!first.held()) heldThroughout = false
    }
  }
  try {
    const becoming = first.start()
    await sleep(200)
    await second.start()
    await becoming
    assert.ok(heldThroughout, 'held at every step of the activation')
    assert.ok(first.held(), 'held as the activation ends')
    assert.ok(updates() >= 4, `renewed ${updates()} times during an activation of ${1.5 * TTL_MS} ms`)
    assert.equal(second.held(), false, 'the other instance waited')
    assert.equal((await second.holder())?.instance, 'a')
    assert.equal(lost, 0)
  } finally {
    await first.release()
    await second.release()
  }
})

test('a lease lost while the instance becomes active is told as lost once the activation ends, not in its middle', async () => {
  const first = new Lease({ kv, worker: 'lost-starting', instance: 'a', url: 'http://127.0.0.1:1', ttlMs: TTL_MS, log: silentLogger })
  const events: string[] = []
  first.onLost = () => {
    events.push('lost')
  }
  first.onWon = async () => {
    events.push('becoming')
    // Another instance takes the key meanwhile (an operator removed it, and someone else won).
    await kv.delete('lost-starting')
    await kv.create('lost-starting', JSON.stringify({ instance: 'b' }))
    await waitFor(() => !first.held(), 'the failed renewal to drop the lease', 5000)
    events.push('became')
  }
  try {
    await first.start()
    assert.deepEqual(events, ['becoming', 'became', 'lost'])
    assert.equal(first.held(), false)
  } finally {
    await first.release()
  }
})

test('a lease lost while the instance became active is not tried for again until what the activation started has stopped', async () => {
  const first = new Lease({ kv, worker: 'lost-then-free', instance: 'a', url: 'http://127.0.0.1:1', ttlMs: TTL_MS, log: silentLogger })
  const events: string[] = []
  let activations = 0
  first.onWon = async () => {
    activations += 1
    events.push('becoming')
    if (activations > 1) return
    // Its renewal fails (another instance took the key), and the key is free again by the time
    // the activation ends: a try for the lease would win it at once.
    await kv.delete('lost-then-free')
    await kv.create('lost-then-free', JSON.stringify({ instance: 'b' }))
    await waitFor(() => !first.held(), 'the failed renewal to drop the lease', 5000)
    await kv.delete('lost-then-free')
    events.push('became')
  }
  first.onLost = async () => {
    events.push('stopping')
    // Stopping consumers and the relay takes a while; tries for the lease come every second.
    await sleep(2500)
    events.push('stopped')
  }
  try {
    await first.start()
    await waitFor(() => activations === 2, 'the lease won again', 5000)
    assert.deepEqual(events, ['becoming', 'became', 'stopping', 'stopped', 'becoming'])
  } finally {
    await first.release()
  }
})

test('given up while a renewal is on its way, the key that renewal renewed is let go too', async () => {
  let held: (() => void) | undefined
  let inFlight: (() => void) | undefined
  const renewalOnItsWay = new Promise<void>((resolve) => (inFlight = resolve))
  // The bucket, with the first renewal's answer held back (the key renewed already) until the
  // instance has given the lease up: its delete names the revision before the renewal.
  const slow = new Proxy(kv, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (key !== 'update') return typeof value === 'function' ? value.bind(target) : value
      return async (...args: Parameters<KV['update']>) => {
        const revision = await target.update(...args)
        if (!held) {
          await new Promise<void>((resolve) => {
            held = resolve
            inFlight?.()
          })
        }
        return revision
      }
    },
  })
  const first = new Lease({ kv: slow, worker: 'given-up-renewing', instance: 'a', url: 'http://127.0.0.1:1', ttlMs: TTL_MS, log: silentLogger })
  const second = new Lease({ kv, worker: 'given-up-renewing', instance: 'b', url: 'http://127.0.0.1:2', ttlMs: TTL_MS, log: silentLogger })
  // As runWorker does when the activation fails: the lease is given up, here with a renewal under way.
  first.onWon = async () => {
    await renewalOnItsWay
    await first.giveUp()
    held?.()
  }
  try {
    await first.start()
    assert.equal(first.held(), false)
    const gaveUp = performance.now()
    await second.start()
    await waitFor(() => second.held(), 'the other instance to take the lease', TTL_MS)
    assert.ok(performance.now() - gaveUp < TTL_MS / 2, `taken ${Math.round(performance.now() - gaveUp)} ms after giving up, not after the TTL`)
    assert.equal((await second.holder())?.instance, 'b')
  } finally {
    await first.release()
    await second.release()
  }
})
