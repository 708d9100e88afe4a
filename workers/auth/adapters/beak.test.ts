// Beak hashes: today's carry their cost; the first format still verifies and asks to be replaced.
import assert from 'node:assert/strict'
import { randomBytes, scryptSync } from 'node:crypto'
import { test } from 'node:test'
import { COST, DUMMY_HASH, hashBeak, needsRehash, verifyBeak } from './beak.ts'

/** A hash as auth stored them before the cost was kept with it: N=2^14, r=8, p=1. */
function firstFormat(beak: string): string {
  const salt = randomBytes(16)
  return `scrypt$${salt.toString('base64')}$${scryptSync(beak, salt, 32, { N: 2 ** 14, r: 8, p: 1 }).toString('base64')}`
}

test('a hash records its cost and salt, and only its own beak verifies against it', async () => {
  const stored = await hashBeak('kesha-beak')
  assert.match(stored, new RegExp(`^scrypt\\$${COST.N}\\$${COST.r}\\$${COST.p}\\$[\\w+/]+={0,2}\\$[\\w+/]+={0,2}$`))
  assert.ok(COST.N >= 2 ** 15 && 128 * COST.N * COST.r >= 32 * 2 ** 20, 'memory-hard: at least 32 MiB')
  assert.notEqual(stored, await hashBeak('kesha-beak'), 'a fresh salt each time')
  assert.equal(await verifyBeak('kesha-beak', stored), true)
  assert.equal(await verifyBeak('kesha-beak!', stored), false)
  assert.equal(needsRehash(stored), false)
})

test('a hash of the first format still verifies, and is due for replacement', async () => {
  const old = firstFormat('pip-beak')
  assert.equal(await verifyBeak('pip-beak', old), true)
  assert.equal(await verifyBeak('not-pip', old), false)
  assert.equal(needsRehash(old), true)
  assert.equal(needsRehash(`scrypt$16384$8$1$${old.split('$')[1]}$${old.split('$')[2]}`), true, 'the same cost written out')
})

test('nothing verifies against the dummy hash or a malformed one', async () => {
  assert.equal(await verifyBeak('', DUMMY_HASH), false)
  for (const broken of ['', 'bcrypt$x$y', 'scrypt$1$2$3', 'scrypt$x$8$1$c2FsdA==$aGFzaA==', 'scrypt$0$8$1$c2FsdA==$aGFzaA==']) {
    assert.equal(await verifyBeak('beak', broken), false, broken)
  }
})
