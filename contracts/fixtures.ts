// Example events of every (name, version), as a producer would have written them.
// Tests use them; they also document the contract by example.
import type { EventName } from './registry.ts'

export const ids = {
  account: '0b6f4c1e-9d3a-4f7e-8a21-5c3d2e1f0a9b',
  otherAccount: '7a2e9c4d-1b3f-4e8a-9c6d-2f1e0a3b4c5d',
  task: '3c9d2e1f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  transaction: '5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c',
  event: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
}

export const sampleData: Record<`${EventName}.v${number}`, unknown> = {
  'accounts.created.v1': { account_id: ids.account, name: 'Kesha', email: 'kesha@ates.local', role: 'popug', active: true },
  'accounts.updated.v1': { account_id: ids.account, name: 'Kesha', email: 'kesha@ates.local', role: 'manager', active: false },
  'tasks.created.v1': {
    task_id: ids.task,
    title: '[UBERPOP-42] Polish the beak',
    description: 'Until it shines',
    assignee_id: ids.account,
    created_at: '2026-11-23T10:00:00.000Z',
  },
  'tasks.created.v2': {
    task_id: ids.task,
    title: 'Polish the beak',
    jira_id: 'UBERPOP-42',
    description: 'Until it shines',
    assignee_id: ids.account,
    created_at: '2026-11-23T10:00:00.000Z',
  },
  'tasks.assigned.v1': {
    task_id: ids.task,
    assignee_id: ids.otherAccount,
    previous_assignee_id: ids.account,
    assigned_at: '2026-11-23T10:05:00.000Z',
  },
  'tasks.completed.v1': { task_id: ids.task, assignee_id: ids.otherAccount, completed_at: '2026-11-23T11:00:00.000Z' },
  'billing.task_priced.v1': { task_id: ids.task, assign_fee: 1500, completion_reward: 3200 },
  'billing.transaction_applied.v1': {
    transaction_id: ids.transaction,
    account_id: ids.account,
    kind: 'assign_fee',
    debit: 1500,
    credit: 0,
    task_id: ids.task,
    business_day: '2026-11-23',
    balance_after: -1500,
    applied_at: '2026-11-23T10:00:00.100Z',
  },
  'billing.day_close_requested.v1': { business_day: '2026-11-23' },
  'billing.payout_made.v1': {
    account_id: ids.account,
    business_day: '2026-11-23',
    amount: 4100,
    transaction_id: ids.transaction,
  },
  'billing.day_closed.v1': {
    business_day: '2026-11-23',
    accounts_paid: 3,
    total_paid: 12300,
    management_earnings: 4500,
    accounts_negative: 1,
  },
  'billing.day_opened.v1': { business_day: '2026-11-24', time_zone: 'Europe/Berlin', reason: 'calendar', opened_at: '2026-11-23T23:00:00.000Z' },
  'auth.account_saved.v1': { account_id: ids.account, name: 'Pip', email: 'pip@ates.local', role: 'popug', active: true, beak_hash: 'scrypt$c2FsdA==$aGFzaA==', created_at: '2026-11-23T09:00:00.000Z', updated_at: '2026-11-23T09:00:00.000Z' },
  'auth.signing_key_added.v1': { kid: 'key-1', private_jwk: '{"kty":"OKP"}', public_jwk: '{"kty":"OKP"}', created_at: '2026-11-23T09:00:00.000Z' },
  'close.payout_mailed.v1': { transaction_id: ids.transaction, account_id: ids.account, business_day: '2026-11-23', amount: 4100, sent_at: '2026-11-24T00:00:05.000Z' },
  'billing.day_close_refused.v1': { business_day: '2026-11-23', reason: 'already_closed', open_day: '2026-11-24', request_event_id: ids.transaction },
  'analytics.day_figures.v1': { business_day: '2026-11-23', management_earnings: 4500, accounts_negative: 1 },
}
