// The rule a token is held to after its signature, and the account_access replica it is held
// against, fed with accounts.* snapshots as the runtime's consumer feeds it.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { describe, test } from 'node:test'
import type { Envelope } from '../../contracts/envelope.ts'
import { accessHandlers, replicaAccess, staleness } from './access.ts'
import type { Role } from './auth.ts'
import type { Store } from './store.ts'
import { testContext } from './testing/context.ts'

const T0 = Date.parse('2026-11-23T10:00:00.000Z')

describe('the rule', () => {
  const standing = { role: 'manager' as const, active: true, changedAt: T0 }
  test('a token issued at or after the last change, with the role the account has, counts', () => {
    assert.equal(staleness({ role: 'manager', issuedAt: T0 }, standing), undefined)
    assert.equal(staleness({ role: 'manager', issuedAt: T0 + 1 }, standing), undefined)
  })
  test('a token issued a millisecond before the change does not', () => {
    assert.equal(staleness({ role: 'manager', issuedAt: T0 - 1 }, standing), 'the account changed after this token was issued')
  })
  test('a token claiming another role does not, whenever it was issued', () => {
    assert.equal(staleness({ role: 'admin', issuedAt: T0 + 60_000 }, standing), 'the account changed after this token was issued')
  })
  test('no token of an inactive account counts', () => {
    assert.equal(staleness({ role: 'manager', issuedAt: T0 + 60_000 }, { ...standing, active: false }), 'the account is inactive')
  })
  test('an account not heard of yet is taken at its token’s word', () => {
    assert.equal(staleness({ role: 'admin', issuedAt: 0 }, undefined), undefined)
  })
})

describe('account_access from accounts.* snapshots', () => {
  const id = randomUUID()
  const snapshot = (name: 'accounts.created' | 'accounts.updated', at: number, change: { role?: Role; active?: boolean; name?: string } = {}) =>
    ({
      event_id: randomUUID(),
      event_name: name,
      event_version: 1,
      event_time: new Date(at).toISOString(),
      producer: 'auth',
      data: { account_id: id, name: change.name ?? 'Mila', email: 'mila@ates.test', role: change.role ?? 'manager', active: change.active ?? true },
    }) as Envelope<typeof name>

  test('the last change of role or activity is kept; a new name, a repeat or an older snapshot changes nothing', () => {
    const ctx = testContext('tasks', [])
    const store = ctx.store as Store<unknown>
    const handlers = accessHandlers(store)
    const apply = (event: Envelope<'accounts.created' | 'accounts.updated'>) => store.tx(() => handlers[event.event_name]!(event as never))
    const access = replicaAccess(() => store)
    const token = (role: Role, issuedAt: number) => access({ id, role, issuedAt })
    const changedAt = () => (store.prepare('SELECT changed_at FROM account_access WHERE account_id = ?').get(id) as { changed_at: number }).changed_at

    apply(snapshot('accounts.created', T0))
    assert.equal(changedAt(), 0, 'no token is older than its account')
    assert.equal(token('manager', T0 - 1000), undefined)

    apply(snapshot('accounts.updated', T0 + 1000, { name: 'Mila M.' }))
    assert.equal(changedAt(), 0, 'a new name is no change of access')

    const demoted = snapshot('accounts.updated', T0 + 2000, { role: 'popug' })
    apply(demoted)
    assert.equal(changedAt(), T0 + 2000)
    assert.match(token('manager', T0 + 500) ?? '', /changed after/, "the manager's token from before")
    assert.match(token('popug', T0 + 1999) ?? '', /changed after/, 'a token issued just before the change, with the new role')
    assert.equal(token('popug', T0 + 2000), undefined, 'a token from the new login')

    apply(demoted)
    assert.equal(changedAt(), T0 + 2000, 'the same snapshot again')
    apply(snapshot('accounts.updated', T0 + 1500, { role: 'admin' }))
    assert.equal(changedAt(), T0 + 2000, 'an older snapshot redelivered behind the newer one')
    assert.equal(token('popug', T0 + 2000), undefined)

    apply(snapshot('accounts.updated', T0 + 3000, { role: 'popug', active: false }))
    assert.equal(token('popug', T0 + 4000), 'the account is inactive')
    apply(snapshot('accounts.updated', T0 + 5000, { role: 'popug', active: true }))
    assert.match(token('popug', T0 + 4000) ?? '', /changed after/, 'a token from while it was inactive stays refused after it is activated again')
    assert.equal(token('popug', T0 + 5000), undefined)
  })

  test('a standing is remembered only as committed: a change rolled back, or seen inside its transaction, is not kept', () => {
    const ctx = testContext('tasks', [])
    const store = ctx.store as Store<unknown>
    const handlers = accessHandlers(store)
    const apply = (event: Envelope<'accounts.created' | 'accounts.updated'>) => handlers[event.event_name]!(event as never)
    const access = replicaAccess(() => store)
    const token = (issuedAt: number) => access({ id, role: 'manager', issuedAt })

    store.tx(() => apply(snapshot('accounts.created', T0)))
    assert.equal(token(T0), undefined, 'remembered: active manager')
    // Deactivated, checked inside the same transaction (which sees the change), then rolled back.
    assert.throws(() =>
      store.tx(() => {
        apply(snapshot('accounts.updated', T0 + 1000, { active: false }))
        assert.equal(token(T0 + 2000), 'the account is inactive')
        throw new Error('the batch fails')
      }),
    )
    assert.equal(token(T0 + 2000), undefined, 'the rolled back change is not what a token is held to')
    // Now it commits: the remembered standing is forgotten and read again.
    store.tx(() => apply(snapshot('accounts.updated', T0 + 1000, { active: false })))
    assert.equal(token(T0 + 2000), 'the account is inactive')
    store.tx(() => apply(snapshot('accounts.updated', T0 + 3000, { active: true })))
    assert.equal(token(T0 + 3000), undefined)
    assert.match(token(T0 + 2000) ?? '', /changed after/)
  })
})
