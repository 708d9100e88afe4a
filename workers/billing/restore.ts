// Before consuming anything, billing makes sure it has an open business day. With an empty
// database it first restores its own past decisions from the BILLING stream (prices, ledger
// entries with their day and balance, closed days), so that replaying tasks.* afterwards
// recognises each effect by its deterministic transaction id and the result is identical.
import { nextDay } from '../runtime/days.ts'
import { readToEnd } from '../runtime/replay.ts'
import { dayIn } from '../runtime/views/format.ts'
import type { Ctx, Ledger } from './ledger.ts'
import { dropEntryIndexes, entryIndexes, isEmpty, openDay } from './store.ts'

export async function prepare(ctx: Ctx, ledger: Ledger): Promise<void> {
  if (isEmpty(ctx.store)) {
    ctx.store.exec(dropEntryIndexes)
    const restored = await restoreFromStream(ctx, ledger)
    if (restored > 0) ctx.log.info('restored billing decisions from the BILLING stream', { events: restored })
  }
  // Built in one pass after a restore; also after one that was cut short, whose next start
  // finds a ledger that is not empty and restores nothing.
  for (const index of entryIndexes) ctx.store.exec(index)
  ctx.store.tx(() => {
    if (openDay(ctx.store)) return
    const first = ctx.store.prepare('SELECT min(business_day) FROM entries').pluck().get() as string | null
    const day = first ?? dayIn(ctx.config.tz, ctx.now())
    ctx.store.prepare("INSERT INTO days (business_day, status) VALUES (?, 'open')").run(day)
    ctx.log.info('business day opened', { business_day: day })
  })
}

async function restoreFromStream(ctx: Ctx, ledger: Ledger): Promise<number> {
  const { store } = ctx
  const price = store.prepare('INSERT INTO tasks (task_id, assign_fee, completion_reward) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
  const account = store.prepare('INSERT INTO accounts (account_id) VALUES (?) ON CONFLICT DO NOTHING')
  const entry = store.prepare(
    `INSERT INTO entries (transaction_id, account_id, kind, debit, credit, task_id, business_day, balance_after, applied_at)
     VALUES (@transaction_id, @account_id, @kind, @debit, @credit, @task_id, @business_day, @balance_after, @applied_at)
     ON CONFLICT (transaction_id) DO NOTHING`,
  )
  const balance = store.prepare('INSERT INTO balances (account_id, balance) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET balance = excluded.balance')
  return readToEnd(ctx.js, ctx.jsm, 'BILLING', (events) =>
    store.tx(() => {
      // An account's balance is the balance_after of its last entry: written once per batch
      // (with the account), not once per entry.
      const balances = new Map<string, number>()
      for (const event of events) {
        switch (event.event_name) {
          case 'billing.task_priced': {
            const d = event.data as { task_id: string; assign_fee: number; completion_reward: number }
            price.run(d.task_id, d.assign_fee, d.completion_reward)
            break
          }
          case 'billing.transaction_applied': {
            const d = event.data as { account_id: string; balance_after: number }
            if (entry.run(event.data).changes === 1) balances.set(d.account_id, d.balance_after)
            break
          }
          case 'billing.day_closed': {
            const d = event.data as { business_day: string; accounts_paid: number; total_paid: number; management_earnings: number; accounts_negative: number }
            ledger.markClosed(d, event.event_time, nextDay(d.business_day))
            break
          }
          default:
            break
        }
      }
      for (const [accountId, after] of balances) {
        account.run(accountId)
        balance.run(accountId, after)
      }
    }),
  )
}
