import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { openStore } from '../runtime/store.ts'
import { tempDir } from '../runtime/testing/helpers.ts'
import { type DB, migrations, mostExpensiveSql } from './store.ts'

test('the most expensive task of a range is read from the completions index alone, with completions from before analytics_002 kept', () => {
  const dir = tempDir()
  const file = join(dir.path, 'analytics.sqlite')
  try {
    const old = openStore<DB>(file, migrations.slice(0, 1))
    const insert = old.prepare('INSERT INTO completions (task_id, business_day, reward, applied_at) VALUES (?, ?, ?, ?)')
    insert.run('cheap', '2026-11-25', 2100, '2026-11-25T09:00:00.000Z')
    insert.run('dear-late', '2026-11-25', 3900, '2026-11-25T11:00:00.000Z')
    insert.run('dear-early', '2026-11-24', 3900, '2026-11-24T10:00:00.000Z')
    old.close()

    const store = openStore<DB>(file, migrations)
    const plan = (store.sqlite.prepare(`EXPLAIN QUERY PLAN ${mostExpensiveSql}`).all('2026-11-01', '2026-11-30') as Array<{ detail: string }>).map((r) => r.detail)
    assert.ok(plan.some((step) => step.includes('USING COVERING INDEX completions_day_reward')), plan.join('; '))
    const most = (from: string, to: string) => (store.prepare(mostExpensiveSql).get(from, to) as { task_id: string }).task_id
    assert.equal(most('2026-11-01', '2026-11-30'), 'dear-early', 'ties go to the earliest completion')
    assert.equal(most('2026-11-25', '2026-11-25'), 'dear-late')
    store.close()
  } finally {
    dir.remove()
  }
})
