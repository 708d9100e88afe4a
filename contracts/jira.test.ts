import assert from 'node:assert/strict'
import { test } from 'node:test'
import { splitJiraId } from './jira.ts'

const cases: Array<[string, string, string | null]> = [
  ['[UBERPOP-42] Polish the beak', 'Polish the beak', 'UBERPOP-42'],
  ['UBERPOP-42 — Polish the beak', 'Polish the beak', 'UBERPOP-42'],
  ['UBERPOP-42 – Polish the beak', 'Polish the beak', 'UBERPOP-42'],
  ['UBERPOP-42 - Polish the beak', 'Polish the beak', 'UBERPOP-42'],
  ['UBERPOP-42: Polish the beak', 'Polish the beak', 'UBERPOP-42'],
  ['  [ UBERPOP-7 ]   Feed the parrots ', 'Feed the parrots', 'UBERPOP-7'],
  ['[UBERPOP-42] - Polish', 'Polish', 'UBERPOP-42'],
  ['UBERPOP-42 Polish the beak', 'Polish the beak', 'UBERPOP-42'],
  ['Polish the beak', 'Polish the beak', null],
  ['Polish UBERPOP-42 later', 'Polish UBERPOP-42 later', null],
  ['uberpop-42 lower case is a word', 'uberpop-42 lower case is a word', null],
  ['A-B-C test', 'A-B-C test', null],
  ['[UBERPOP-42]', '', 'UBERPOP-42'],
]

for (const [input, title, jira] of cases) {
  test(`splitJiraId(${JSON.stringify(input)})`, () => {
    assert.deepEqual(splitJiraId(input), { title, jira_id: jira })
  })
}
