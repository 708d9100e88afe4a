import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { decodeEvent, makeEnvelope } from './envelope.ts'
import { ids, sampleData } from './fixtures.ts'
import { contractsDir, generatedFiles } from './generate.ts'
import { definitions, eventNames, subjectOf, validatorFor } from './registry.ts'

function envelope(name: string, version: number, data: unknown, overrides: Record<string, unknown> = {}) {
  return JSON.stringify({
    event_id: ids.event,
    event_name: name,
    event_version: version,
    event_time: '2026-11-23T10:00:00.000Z',
    producer: 'tasks',
    data,
    ...overrides,
  })
}

describe('event registry', () => {
  test('every (name, version) of SPEC §3 is registered, with a sample that fits', () => {
    const registered = eventNames.flatMap((name) =>
      Object.keys(definitions[name].versions).map((v) => subjectOf(name, Number(v))),
    )
    assert.deepEqual(registered.sort(), Object.keys(sampleData).sort())
    for (const subject of registered) {
      const [name, version] = [subject.slice(0, subject.lastIndexOf('.v')), Number(subject.split('.v').at(-1))]
      const validator = validatorFor(name, version)
      assert.ok(validator, subject)
      assert.ok(validator.Check(sampleData[subject as keyof typeof sampleData]), `${subject} sample fits its schema`)
    }
  })

  test('tasks.created keeps v1 beside v2, and v2 is what producers write', () => {
    assert.deepEqual(Object.keys(definitions['tasks.created'].versions), ['1', '2'])
    assert.equal(definitions['tasks.created'].latest, 2)
    assert.equal(subjectOf('tasks.created'), 'tasks.created.v2')
  })

  test('money fields refuse fractions of a cent', () => {
    const validator = validatorFor('billing.task_priced', 1)!
    assert.equal(validator.Check({ task_id: ids.task, assign_fee: 15.5, completion_reward: 3000 }), false)
  })
})

describe('decodeEvent', () => {
  test('accepts a valid envelope on its own subject', () => {
    const decoded = decodeEvent('tasks.assigned.v1', envelope('tasks.assigned', 1, sampleData['tasks.assigned.v1']))
    assert.ok(decoded.ok)
    assert.equal(decoded.event.event_name, 'tasks.assigned')
  })

  test('upcasts tasks.created v1 so consumers see the v2 shape', () => {
    const v1 = decodeEvent('tasks.created.v1', envelope('tasks.created', 1, sampleData['tasks.created.v1']))
    const v2 = decodeEvent('tasks.created.v2', envelope('tasks.created', 2, sampleData['tasks.created.v2']))
    assert.ok(v1.ok && v2.ok)
    assert.deepEqual(v1.event.data, v2.event.data)
    assert.equal(v1.version, 1)
  })

  const refusals: Array<[string, string, string | Uint8Array, RegExp]> = [
    ['not JSON', 'tasks.assigned.v1', '{nope', /invalid JSON/],
    ['no envelope', 'tasks.assigned.v1', JSON.stringify({ task_id: ids.task }), /invalid envelope/],
    ['unknown event', 'tasks.deleted.v1', envelope('tasks.deleted', 1, {}), /unknown event tasks.deleted/],
    ['unknown version', 'tasks.assigned.v7', envelope('tasks.assigned', 7, {}), /unknown version tasks.assigned v7/],
    [
      'subject disagrees',
      'tasks.completed.v1',
      envelope('tasks.assigned', 1, sampleData['tasks.assigned.v1']),
      /does not match tasks.assigned.v1/,
    ],
    [
      'data off its schema',
      'tasks.assigned.v1',
      envelope('tasks.assigned', 1, { ...(sampleData['tasks.assigned.v1'] as object), task_id: 'x' }),
      /invalid tasks.assigned v1: task_id must be a UUID/,
    ],
    [
      'unknown producer',
      'tasks.assigned.v1',
      envelope('tasks.assigned', 1, sampleData['tasks.assigned.v1'], { producer: 'mallory' }),
      /invalid envelope/,
    ],
  ]
  for (const [what, subject, payload, reason] of refusals) {
    test(`refuses ${what}, with the reason`, () => {
      const decoded = decodeEvent(subject, payload)
      assert.equal(decoded.ok, false)
      assert.match((decoded as { reason: string }).reason, reason)
    })
  }
})

describe('makeEnvelope', () => {
  test('builds the envelope and subject of the latest version', () => {
    const { subject, envelope: e } = makeEnvelope({
      name: 'tasks.created',
      data: sampleData['tasks.created.v2'] as never,
      eventId: ids.event,
      time: new Date('2026-11-23T10:00:00Z'),
      producer: 'tasks',
    })
    assert.equal(subject, 'tasks.created.v2')
    assert.equal(e.event_version, 2)
    assert.equal(e.event_time, '2026-11-23T10:00:00.000Z')
  })

  test('a producer cannot send what the registry refuses', () => {
    assert.throws(
      () =>
        makeEnvelope({
          name: 'billing.task_priced',
          data: { task_id: ids.task, assign_fee: -1, completion_reward: 20 },
          eventId: ids.event,
          time: new Date(),
          producer: 'billing',
        }),
      /billing.task_priced v1: assign_fee must be at least/,
    )
  })
})

test('generated JSON Schema and AsyncAPI files are fresh (run `make contracts`)', () => {
  for (const [path, content] of generatedFiles()) {
    assert.equal(readFileSync(join(contractsDir, path), 'utf8'), content, `${path} is stale`)
  }
})
