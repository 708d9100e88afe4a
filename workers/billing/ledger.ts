// billing's handlers: events → domain → ledger rows + billing.* events, in the consumer's
// transaction. Every id billing emits derives from the event that caused it, so a rebuild
// recognises what it already did (see restore.ts).
import type { Handlers } from '../runtime/consumer.ts'
import { deterministicId } from '../runtime/ids.ts'
import type { WorkerContext } from '../runtime/worker.ts'
import { closeDecision, drawPrice, entryFor, type Entry, managementEarnings, payouts, type Price } from './domain.ts'
import { balanceOf, type DB, dayAmounts, openDay } from './store.ts'

export type Ctx = WorkerContext<DB>
export type Random = () => number

export const ids = {
  price: (taskId: string) => deterministicId('billing.task_priced', taskId),
  fee: (assignedEventId: string) => deterministicId('billing.assign_fee', assignedEventId),
  reward: (completedEventId: string) => deterministicId('billing.completion_reward', completedEventId),
  payout: (day: string, accountId: string) => deterministicId('billing.payout', `${day}/${accountId}`),
  applied: (transactionId: string) => deterministicId('billing.transaction_applied', transactionId),
  paid: (transactionId: string) => deterministicId('billing.payout_made', transactionId),
  closed: (day: string) => deterministicId('billing.day_closed', day),
}

export class Ledger {
  constructor(
    private readonly ctx: Ctx,
    private readonly random: Random,
  ) {}

  private get store() {
    return this.ctx.store
  }

  /** The task's price, drawn once on first sight and never again (SPEC B1). */
  priceOf(taskId: string): Price {
    const known = this.store.prepare('SELECT assign_fee, completion_reward FROM tasks WHERE task_id = ?').get(taskId) as Price | undefined
    if (known) return known
    const price = drawPrice(this.random)
    this.store.prepare('INSERT INTO tasks (task_id, assign_fee, completion_reward) VALUES (?, ?, ?)').run(taskId, price.assign_fee, price.completion_reward)
    this.ctx.outbox.emit('billing.task_priced', { task_id: taskId, ...price }, { eventId: ids.price(taskId) })
    return price
  }

  /** An account billing has not heard of yet: a placeholder that accounts.* completes. */
  private ensureAccount(accountId: string): void {
    this.store.prepare('INSERT INTO accounts (account_id) VALUES (?) ON CONFLICT DO NOTHING').run(accountId)
  }

  private hasEntry(transactionId: string): boolean {
    return this.store.prepare('SELECT 1 FROM entries WHERE transaction_id = ?').get(transactionId) !== undefined
  }

  /** Writes an entry with the balance after it and reports it (SPEC B2–B4). */
  apply(entry: Entry): number {
    const balance = balanceOf(this.store, entry.account_id) + entry.credit - entry.debit
    const appliedAt = this.ctx.now().toISOString()
    this.store
      .prepare(
        `INSERT INTO entries (transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(entry.transaction_id, entry.account_id, entry.kind, entry.debit, entry.credit, entry.task_id, entry.business_day, balance, appliedAt)
    this.store
      .prepare('INSERT INTO balances (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = excluded.balance')
      .run(entry.account_id, balance)
    this.ctx.outbox.emit('billing.transaction_applied', { ...entry, balance_after: balance, applied_at: appliedAt }, { eventId: ids.applied(entry.transaction_id) })
    return balance
  }

  private charge(kind: 'assign_fee' | 'completion_reward', transactionId: string, accountId: string, taskId: string): void {
    if (this.hasEntry(transactionId)) return
    this.ensureAccount(accountId)
    const price = this.priceOf(taskId)
    this.apply(entryFor(kind, { transaction_id: transactionId, account_id: accountId, task_id: taskId, price, business_day: this.openDay() }))
  }

  openDay(): string {
    const day = openDay(this.store)
    if (!day) throw new Error('no open business day')
    return day
  }

  /** Closes the open day if the request is for it or later; a stale or repeated one is a no-op (SPEC B6). */
  close(requested: string): { closed: string } | undefined {
    const decision = closeDecision(requested, this.openDay())
    if (!decision.close) return undefined
    const { day, next } = decision
    const positive = payouts(this.store.prepare('SELECT account_id, balance FROM balances ORDER BY account_id').all() as Array<{ account_id: string; balance: number }>)
    for (const payout of positive) {
      const transactionId = ids.payout(day, payout.account_id)
      this.apply({ transaction_id: transactionId, account_id: payout.account_id, kind: 'payout', debit: payout.amount, credit: 0, task_id: null, business_day: day })
      this.ctx.outbox.emit('billing.payout_made', { account_id: payout.account_id, business_day: day, amount: payout.amount, transaction_id: transactionId }, { eventId: ids.paid(transactionId) })
    }
    const dayEntries = dayAmounts(this.store, day)
    const summary = {
      business_day: day,
      accounts_paid: positive.length,
      total_paid: positive.reduce((sum, p) => sum + p.amount, 0),
      management_earnings: managementEarnings(dayEntries),
      accounts_negative: this.store.prepare('SELECT count(*) FROM balances WHERE balance < 0').pluck().get() as number,
    }
    // One moment for the row and the event: a rebuild takes closed_at from the event.
    const at = this.ctx.now()
    this.markClosed(summary, at.toISOString(), next)
    this.ctx.outbox.emit('billing.day_closed', summary, { eventId: ids.closed(day), time: at })
    return { closed: day }
  }

  markClosed(summary: { business_day: string; accounts_paid: number; total_paid: number; management_earnings: number; accounts_negative: number }, at: string, next: string): void {
    this.store
      .prepare(
        `INSERT INTO days (business_day, status, accounts_paid, total_paid, management_earnings, accounts_negative, closed_at)
         VALUES (@business_day, 'closed', @accounts_paid, @total_paid, @management_earnings, @accounts_negative, @at)
         ON CONFLICT (business_day) DO UPDATE SET status = 'closed', accounts_paid = excluded.accounts_paid, total_paid = excluded.total_paid,
           management_earnings = excluded.management_earnings, accounts_negative = excluded.accounts_negative, closed_at = excluded.closed_at`,
      )
      .run({ ...summary, at })
    this.store.prepare("INSERT INTO days (business_day, status) VALUES (?, 'open') ON CONFLICT DO NOTHING").run(next)
  }

  handlers(): { accounts: Handlers; tasks: Handlers; closes: Handlers } {
    const upsertAccount = this.store.prepare(
      `INSERT INTO accounts (account_id, name, email, role, as_of) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, email = excluded.email, role = excluded.role, as_of = excluded.as_of
       WHERE accounts.as_of IS NULL OR excluded.as_of >= accounts.as_of`,
    )
    const account = (a: { account_id: string; name: string; email: string; role: string }, at: string) => {
      upsertAccount.run(a.account_id, a.name, a.email, a.role, at)
    }
    return {
      accounts: {
        'accounts.created': (e) => account(e.data, e.event_time),
        'accounts.updated': (e) => account(e.data, e.event_time),
      },
      tasks: {
        'tasks.created': (e) => {
          this.priceOf(e.data.task_id)
          this.store
            .prepare('UPDATE tasks SET title = ?, jira_id = ?, description = ? WHERE task_id = ?')
            .run(e.data.title, e.data.jira_id, e.data.description, e.data.task_id)
        },
        'tasks.assigned': (e) => this.charge('assign_fee', ids.fee(e.event_id), e.data.assignee_id, e.data.task_id),
        'tasks.completed': (e) => this.charge('completion_reward', ids.reward(e.event_id), e.data.assignee_id, e.data.task_id),
      },
      closes: {
        'billing.day_close_requested': (e) => {
          this.close(e.data.business_day)
        },
      },
    }
  }
}
