import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Assignable, draw, isEligible, mayComplete, newTask } from './domain.ts'

/** A small seeded PRNG, so the statistics below are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('who gets tasks', () => {
  const accounts: Assignable[] = [
    { account_id: 'admin', role: 'admin', active: true },
    { account_id: 'manager', role: 'manager', active: true },
    { account_id: 'accountant', role: 'accountant', active: true },
    { account_id: 'sleepy', role: 'popug', active: false },
    ...Array.from({ length: 7 }, (_, i): Assignable => ({ account_id: `popug-${i}`, role: 'popug', active: true })),
  ]
  const eligible = accounts.filter(isEligible).map((a) => a.account_id)

  test('admins, managers and inactive accounts are never eligible', () => {
    assert.deepEqual(eligible, ['accountant', ...Array.from({ length: 7 }, (_, i) => `popug-${i}`)])
  })

  test('the draw is uniform over the eligible accounts (chi-square, 80k draws)', () => {
    const random = mulberry32(42)
    const counts = new Map<string, number>()
    const draws = 80_000
    for (let i = 0; i < draws; i++) {
      const picked = draw(eligible, random)!
      counts.set(picked, (counts.get(picked) ?? 0) + 1)
    }
    assert.deepEqual([...counts.keys()].sort(), [...eligible].sort(), 'every eligible account drawn, nobody else')
    const expected = draws / eligible.length
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0)
    // 7 degrees of freedom: the 99.9th percentile is 24.32.
    assert.ok(chiSquare < 24.32, `chi-square ${chiSquare.toFixed(2)}`)
  })

  test('the edges of [0, 1) pick the first and the last account; nobody eligible, nobody picked', () => {
    assert.equal(draw(['a', 'b', 'c'], () => 0), 'a')
    assert.equal(draw(['a', 'b', 'c'], () => 0.9999999), 'c')
    assert.equal(draw([], () => 0.5), undefined)
  })
})

describe('a new task', () => {
  test('a leading jira id in the title becomes the jira id', () => {
    for (const title of ['[UBERPOP-42] Polish the beak', 'UBERPOP-42 — Polish the beak', 'UBERPOP-42 - Polish the beak']) {
      assert.deepEqual(newTask({ title }), { title: 'Polish the beak', jira_id: 'UBERPOP-42', description: '' }, title)
    }
  })
  test('a given jira id stays; the same id in the title is dropped; a different one is refused', () => {
    assert.deepEqual(newTask({ title: 'Polish', jira_id: 'UBERPOP-7', description: ' shiny ' }), { title: 'Polish', jira_id: 'UBERPOP-7', description: 'shiny' })
    assert.deepEqual(newTask({ title: '[UBERPOP-7] Polish', jira_id: 'UBERPOP-7' }), { title: 'Polish', jira_id: 'UBERPOP-7', description: '' })
    assert.equal((newTask({ title: '[UBERPOP-8] Polish', jira_id: 'UBERPOP-7' }) as { kind: string }).kind, 'invalid_jira_id')
    assert.equal((newTask({ title: 'Polish', jira_id: 'not a jira id' }) as { kind: string }).kind, 'invalid_jira_id')
  })
  test('a title of only a jira id, or too long, is refused', () => {
    assert.equal((newTask({ title: '[UBERPOP-42]' }) as { kind: string }).kind, 'invalid_title')
    assert.equal((newTask({ title: 'x'.repeat(201) }) as { kind: string }).kind, 'invalid_title')
  })
})

describe('completing', () => {
  test('only the assignee, only once', () => {
    assert.deepEqual(mayComplete(undefined, 'a'), { kind: 'not_found' })
    assert.deepEqual(mayComplete({ status: 'open', assignee_id: 'a' }, 'b'), { kind: 'not_assignee' })
    assert.deepEqual(mayComplete({ status: 'completed', assignee_id: 'a' }, 'a'), { kind: 'already_completed' })
    assert.equal(mayComplete({ status: 'open', assignee_id: 'a' }, 'a'), undefined)
  })
})
