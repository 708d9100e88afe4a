// The words a client reads when its request does not fit: the field, and what it must be.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type, { type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { Uuid } from './common.ts'
import { CreateAccountBody, UpdateAccountBody } from './http/auth.ts'
import { AccountDayQuery, RangeQuery } from './http/billing.ts'
import { MostExpensiveQuery } from './http/analytics.ts'
import { CreateTaskBody, ListTasksQuery } from './http/tasks.ts'
import { describeErrors, explainErrors } from './messages.ts'

function said(schema: TSchema, value: unknown, what = 'body'): string {
  const validator = Compile(schema)
  assert.equal(validator.Check(value), false, 'the value does not fit')
  return describeErrors(validator.Errors(value), schema, what)
}

test('allowed values are listed', () => {
  assert.equal(said(ListTasksQuery, { status: 'closed' }, 'query'), 'status must be one of open, completed')
  assert.equal(said(MostExpensiveQuery, { period: 'year' }, 'query'), 'period must be one of day, week, month')
  assert.equal(said(CreateAccountBody, { name: 'Kesha', email: 'kesha@ates.test', role: 'king', beak: 'long-enough' }), 'role must be one of admin, manager, accountant, popug')
})

test('a pattern is described, never shown', () => {
  assert.equal(said(AccountDayQuery, { day: 'yesterday' }, 'query'), 'day must be a date like 2026-11-25')
  assert.equal(said(RangeQuery, { from: '2026-13-01' }, 'query'), 'from must be a date like 2026-11-25')
  assert.equal(said(ListTasksQuery, { limit: '500' }, 'query'), 'limit must be a whole number from 1 to 200 (default 50)')
  assert.equal(said(ListTasksQuery, { cursor: 'not a cursor!' }, 'query'), 'cursor must be the next_cursor of the page before')
  for (const message of [said(AccountDayQuery, { day: 'x' }, 'query'), said(ListTasksQuery, { limit: '0' }, 'query')]) {
    assert.doesNotMatch(message, /[\\^$]|\[0-9\]|\\d/, 'no regular expression')
  }
})

test('an unknown field or query parameter is named as such, with the ones there are', () => {
  assert.equal(said(CreateTaskBody, { title: 'Fix the coffee machine', priority: 1 }), 'unknown field priority (the fields are title, jira_id, description)')
  assert.equal(said(ListTasksQuery, { colour: 'red' }, 'query'), 'unknown query parameter colour (the query parameters are assignee, status, limit, cursor)')
})

test('missing, empty, too long, the wrong type, a format, alternatives, nothing to change', () => {
  assert.equal(said(CreateTaskBody, {}), 'title is required')
  assert.equal(said(CreateTaskBody, { title: '' }), 'title must not be empty')
  assert.equal(said(CreateTaskBody, { title: 'x'.repeat(300) }), 'title must be at most 272 characters')
  assert.equal(said(CreateTaskBody, { title: 5 }), 'title must be a string')
  assert.equal(said(CreateTaskBody, [1]), 'body must be an object')
  assert.equal(said(CreateTaskBody, { title: 'a', jira_id: 5 }), 'jira_id must be a string or null')
  assert.equal(said(ListTasksQuery, { assignee: 'bob' }, 'query'), 'assignee must be me or a UUID like 0198c5e2-3f4a-7b1c-9d2e-8f6a5b4c3d2e')
  assert.equal(said(Uuid, 'abc', 'account id'), 'account id must be a UUID like 0198c5e2-3f4a-7b1c-9d2e-8f6a5b4c3d2e')
  assert.equal(said(CreateAccountBody, { name: 'K', email: 'nope', role: 'popug', beak: 'short' }), 'email must be an email address; beak must be at least 8 characters')
  assert.equal(said(UpdateAccountBody, {}), 'body must set at least one of name, role, active')
  assert.equal(said(UpdateAccountBody, { active: 'yes' }), 'active must be true or false')
  assert.equal(said(Type.Object({ n: Type.Integer({ minimum: 1 }) }), { n: 0 }), 'n must be at least 1')
})

test('each reason keeps where it is, for the details of a 422', () => {
  const validator = Compile(CreateTaskBody)
  const reasons = explainErrors(validator.Errors({ priority: 1 }), CreateTaskBody, 'body')
  assert.deepEqual(reasons, [
    { path: '/title', message: 'title is required' },
    { path: '/priority', message: 'unknown field priority (the fields are title, jira_id, description)' },
  ])
})
