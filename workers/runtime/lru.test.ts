import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Lru, onePer } from './lru.ts'

test('holds at most its capacity and forgets the least recently used first', () => {
  const lru = new Lru<string, number>(3)
  lru.set('a', 1)
  lru.set('b', 2)
  lru.set('c', 3)
  assert.equal(lru.get('a'), 1, 'a is used: b is now the oldest')
  lru.set('d', 4)
  assert.equal(lru.size, 3)
  assert.equal(lru.get('b'), undefined)
  assert.deepEqual([lru.get('a'), lru.get('c'), lru.get('d')], [1, 3, 4])
  lru.set('c', 30)
  lru.set('e', 5)
  assert.equal(lru.get('a'), undefined, 'setting counts as a use too')
  assert.deepEqual([lru.get('c'), lru.get('d'), lru.get('e')], [30, 4, 5])
})

test('an entry kept in use survives any number of others passing through', () => {
  const lru = new Lru<string, number>(100)
  lru.set('target', 1)
  for (let i = 0; i < 10_000; i++) {
    lru.set(`spray-${i}`, i)
    if (i % 50 === 0) lru.get('target')
  }
  assert.equal(lru.get('target'), 1)
  assert.equal(lru.size, 100)
})

test('onePer makes one value per object, the first time it is asked for', () => {
  let made = 0
  const of = onePer((key: { name: string }) => ({ name: key.name, n: ++made }))
  const a = { name: 'a' }
  const b = { name: 'b' }
  assert.equal(of(a), of(a))
  assert.notEqual(of(a), of(b))
  assert.equal(made, 2)
})
