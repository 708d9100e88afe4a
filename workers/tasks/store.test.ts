import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { openStore } from '../runtime/store.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { type ListFilter, listQuery, migrations } from './store.ts'

test('every shape of task list reads its page in order from an index, without sorting what matches', () => {
  const dir = tempDir()
  const store = openStore(join(dir.path, 'tasks.sqlite'), migrations)
  try {
    const shapes: ListFilter[] = []
    for (const assignee of [undefined, 'a']) {
      for (const status of [undefined, 'open', 'completed'] as const) {
        for (const cursor of [undefined, { before: 10 }]) {
          shapes.push({ ...(assignee ? { assignee } : {}), ...(status ? { status } : {}), ...(cursor ? { cursor } : {}), limit: 50 })
        }
      }
    }
    for (const filter of shapes) {
      const sql = `${listQuery(store, filter)} LIMIT ${filter.limit + 1}`
      const parameters = [filter.assignee, filter.status, filter.cursor?.before].filter((p) => p !== undefined)
      const plan = (store.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((row) => row.detail)
      assert.ok(!plan.some((step) => step.includes('TEMP B-TREE')), `${JSON.stringify(filter)} sorts: ${plan.join('; ')}`)
      if (filter.assignee) assert.match(plan[0]!, /^SEARCH tasks USING INDEX tasks_assignee\w* \(assignee_id=\?/, `${JSON.stringify(filter)}: ${plan.join('; ')}`)
    }
  } finally {
    store.close()
    dir.remove()
  }
})
