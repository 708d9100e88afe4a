// Beaks are stored only as scrypt hashes, memory-hard, with a random salt and the parameters
// they were made with: "scrypt$<N>$<r>$<p>$<salt>$<hash>", so the cost can be raised and the
// old hashes still checked. A hash from before the parameters were stored, "scrypt$<salt>$<hash>",
// was made with N=2^14, r=8, p=1; verifyBeak still reads it, and needsRehash tells the login to
// replace it with one at today's cost.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

export type ScryptCost = { N: number; r: number; p: number }

/** OWASP's scrypt minimum at 32 MiB of memory: N=2^15, r=8, p=3 (about a quarter of a second here). */
export const COST: ScryptCost = { N: 2 ** 15, r: 8, p: 3 }
const FIRST_COST: ScryptCost = { N: 2 ** 14, r: 8, p: 1 }
const KEY_LENGTH = 32

type Parsed = { cost: ScryptCost; salt: Buffer; hash: Buffer }

function parse(stored: string): Parsed | undefined {
  const parts = stored.split('$')
  if (parts[0] !== 'scrypt') return undefined
  if (parts.length === 3) return { cost: FIRST_COST, salt: Buffer.from(parts[1]!, 'base64'), hash: Buffer.from(parts[2]!, 'base64') }
  if (parts.length !== 6) return undefined
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return undefined
  return { cost: { N, r, p }, salt: Buffer.from(parts[4]!, 'base64'), hash: Buffer.from(parts[5]!, 'base64') }
}

// Each derivation holds 128·N·r bytes (32 MiB) while it runs, on libuv's threads: at most two at
// a time keeps a burst of logins from taking the worker's memory with it.
const MAX_RUNNING = 2
let running = 0
const waiting: Array<() => void> = []

async function derive(beak: string, salt: Buffer, { N, r, p }: ScryptCost): Promise<Buffer> {
  // A finished derivation hands its place to the next one waiting (release), so none slips past the limit.
  if (running < MAX_RUNNING) running++
  else await new Promise<void>((resolve) => waiting.push(resolve))
  try {
    return await new Promise((resolve, reject) =>
      scrypt(beak, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r }, (error, key) => (error ? reject(error) : resolve(key))),
    )
  } finally {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
}

function format(cost: ScryptCost, salt: Buffer, hash: Buffer): string {
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

export async function hashBeak(beak: string): Promise<string> {
  const salt = randomBytes(16)
  return format(COST, salt, await derive(beak, salt, COST))
}

/** A hash to compare against when the account does not exist, at today's cost, so timing does not tell. */
export const DUMMY_HASH = format(COST, Buffer.alloc(16), Buffer.alloc(KEY_LENGTH))

export async function verifyBeak(beak: string, stored: string): Promise<boolean> {
  const parsed = parse(stored)
  if (!parsed) return false
  const actual = await derive(beak, parsed.salt, parsed.cost)
  return parsed.hash.length === actual.length && timingSafeEqual(parsed.hash, actual)
}

/** Whether a stored hash was made at a lower cost than today's (or in the old format). */
export function needsRehash(stored: string): boolean {
  const cost = parse(stored)?.cost
  return !cost || cost.N < COST.N || cost.r < COST.r || cost.p < COST.p
}
