// tasks' decisions: given accounts or a task, when a command, then events or a refusal.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Assignable, decideComplete, decideCreate, decideReassign, draw, isEligible, type TaskAssigned } from './domain.ts'

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

const NOW = '2026-11-23T10:00:00.000Z'
const TASK = '00000000-0000-4000-8000-000000000001'
const POPUG = '00000000-0000-4000-8000-0000000000a1'
const OTHER = '00000000-0000-4000-8000-0000000000a2'

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

  test('a draw that ignored part of the accounts would fail the same bound', () => {
    // The check above can fail: drawing from all but the last account is far outside it.
    const random = mulberry32(42)
    const counts = new Map<string, number>(eligible.map((id) => [id, 0]))
    for (let i = 0; i < 80_000; i++) {
      const picked = draw(eligible.slice(0, -1), random)!
      counts.set(picked, counts.get(picked)! + 1)
    }
    const expected = 80_000 / eligible.length
    const chiSquare = [...counts.values()].reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0)
    assert.ok(chiSquare > 24.32, `chi-square ${chiSquare.toFixed(2)}`)
  })

  test('the edges of [0, 1) pick the first and the last account; nobody eligible, nobody picked', () => {
    assert.equal(draw(['a', 'b', 'c'], () => 0), 'a')
    assert.equal(draw(['a', 'b', 'c'], () => 0.9999999), 'c')
    assert.equal(draw([], () => 0.5), undefined)
  })
})

describe('creating a task', () => {
  const given = { eligible: [OTHER, POPUG], random: () => 0.7, taskId: TASK, now: NOW }

  test('given eligible accounts, when created, then tasks.created v2 and the first tasks.assigned', () => {
    assert.deepEqual(decideCreate({ title: ' Polish the beak ', description: ' until it shines ' }, given), {
      created: { task_id: TASK, title: 'Polish the beak', jira_id: null, description: 'until it shines', assignee_id: POPUG, created_at: NOW },
      assigned: { task_id: TASK, assignee_id: POPUG, previous_assignee_id: null, assigned_at: NOW },
    })
  })

  test('given nobody eligible, when created, then no_assignee and no events', () => {
    assert.deepEqual(decideCreate({ title: 'Polish the beak' }, { ...given, eligible: [] }), { kind: 'no_assignee' })
  })

  test('a leading jira id in the title becomes the jira id', () => {
    for (const title of ['[UBERPOP-42] Polish the beak', 'UBERPOP-42 — Polish the beak', 'UBERPOP-42 - Polish the beak']) {
      const decision = decideCreate({ title }, given)
      assert.ok('created' in decision, title)
      assert.deepEqual([decision.created.title, decision.created.jira_id], ['Polish the beak', 'UBERPOP-42'], title)
    }
  })

  test('a given jira id stays; the same id in the title is dropped; a different one is refused', () => {
    const kept = decideCreate({ title: 'Polish', jira_id: 'UBERPOP-7' }, given)
    assert.ok('created' in kept)
    assert.deepEqual([kept.created.title, kept.created.jira_id], ['Polish', 'UBERPOP-7'])
    const repeated = decideCreate({ title: '[UBERPOP-7] Polish', jira_id: 'UBERPOP-7' }, given)
    assert.ok('created' in repeated)
    assert.deepEqual([repeated.created.title, repeated.created.jira_id], ['Polish', 'UBERPOP-7'])
    assert.equal(kind(decideCreate({ title: '[UBERPOP-8] Polish', jira_id: 'UBERPOP-7' }, given)), 'invalid_jira_id')
    assert.equal(kind(decideCreate({ title: 'Polish', jira_id: 'not a jira id' }, given)), 'invalid_jira_id')
  })

  test('a title of only a jira id, a too long title or description is refused', () => {
    assert.equal(kind(decideCreate({ title: '[UBERPOP-42]' }, given)), 'invalid_title')
    assert.equal(kind(decideCreate({ title: '   ' }, given)), 'invalid_title')
    assert.equal(kind(decideCreate({ title: 'x'.repeat(201) }, given)), 'invalid_title')
    assert.equal(kind(decideCreate({ title: `[UBERPOP-1] ${'x'.repeat(200)}` }, given)), undefined, '200 characters after the split are fine')
    assert.equal(kind(decideCreate({ title: 'ok', description: 'x'.repeat(5001) }, given)), 'invalid_description')
  })
})

describe('reassigning', () => {
  const open = [
    [TASK, POPUG],
    ['00000000-0000-4000-8000-000000000002', OTHER],
  ] as const

  test('given open tasks, when reassigned, then one tasks.assigned per task with its previous assignee', () => {
    const events: TaskAssigned[] = []
    const turns = [0.9, 0.1]
    const result = decideReassign(open, { eligible: [OTHER, POPUG], random: () => turns.shift()!, now: NOW }, (e) => events.push(e))
    assert.deepEqual(result, { reassigned: 2 })
    assert.deepEqual(events, [
      { task_id: TASK, assignee_id: POPUG, previous_assignee_id: POPUG, assigned_at: NOW },
      { task_id: open[1][0], assignee_id: OTHER, previous_assignee_id: OTHER, assigned_at: NOW },
    ])
  })

  test('given nobody eligible, when reassigned, then no_assignee; given no open task, nothing to do', () => {
    const events: TaskAssigned[] = []
    const none = { eligible: [], random: Math.random, now: NOW }
    assert.deepEqual(decideReassign(open, none, (e) => events.push(e)), { kind: 'no_assignee' })
    assert.deepEqual(decideReassign([], none, (e) => events.push(e)), { reassigned: 0 })
    assert.deepEqual(events, [])
  })
})

describe('completing', () => {
  test('given an open task, when its assignee completes it, then tasks.completed', () => {
    assert.deepEqual(decideComplete({ task_id: TASK, status: 'open', assignee_id: POPUG }, POPUG, NOW), {
      task_id: TASK,
      assignee_id: POPUG,
      completed_at: NOW,
    })
  })
  test('only the assignee, only once, only a known task', () => {
    assert.deepEqual(decideComplete(undefined, POPUG, NOW), { kind: 'not_found' })
    assert.deepEqual(decideComplete({ task_id: TASK, status: 'open', assignee_id: POPUG }, OTHER, NOW), { kind: 'not_assignee' })
    assert.deepEqual(decideComplete({ task_id: TASK, status: 'completed', assignee_id: POPUG }, POPUG, NOW), { kind: 'already_completed' })
  })
})

function kind(decision: object): string | undefined {
  return 'kind' in decision ? (decision.kind as string) : undefined
}
