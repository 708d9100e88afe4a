/**
 * One value per object, made the first time the object is asked for and gone with it: each
 * store's remembered standings and kept answers, each schema's compiled validator.
 */
export function onePer<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>()
  return (key) => {
    let value = made.get(key)
    if (value === undefined) {
      value = make(key)
      made.set(key, value)
    }
    return value
  }
}

// A map that holds at most `capacity` entries and forgets the one least recently used: what is
// touched often (an account under attack, a client still failing) stays, what went quiet goes.
export class Lru<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new Error('an LRU holds at least one entry')
  }

  get size(): number {
    return this.entries.size
  }

  /** The value, which counts as a use. */
  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      // A Map keeps insertion order: moved to the end, it is the most recently used.
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set(key: K, value: V): void {
    this.entries.delete(key)
    this.entries.set(key, value)
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K)
  }

  delete(key: K): void {
    this.entries.delete(key)
  }
}
