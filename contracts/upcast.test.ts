import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ids } from './fixtures.ts'
import { upcastTasksCreatedV1 } from './upcast.ts'

const v1 = {
  task_id: ids.task,
  title: 'UBERPOP-42 — Polish the beak',
  description: 'Until it shines',
  assignee_id: ids.account,
  created_at: '2026-11-23T10:00:00.000Z',
}

test('tasks.created v1 → v2 splits the jira id out of the title', () => {
  assert.deepEqual(upcastTasksCreatedV1(v1), { ...v1, title: 'Polish the beak', jira_id: 'UBERPOP-42' })
})

test('tasks.created v1 → v2 without a jira id gets jira_id null', () => {
  assert.deepEqual(upcastTasksCreatedV1({ ...v1, title: 'Polish the beak' }), {
    ...v1,
    title: 'Polish the beak',
    jira_id: null,
  })
})

test('tasks.created v1 whose title was only a jira id keeps a placeholder title', () => {
  assert.equal(upcastTasksCreatedV1({ ...v1, title: '[UBERPOP-1]' }).title, '(untitled)')
})
