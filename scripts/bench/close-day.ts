// Close of a business day with every account holding entries: one task per account on
// average, created through tasks' API and completed by its assignee, so most accounts end
// the day positive; then an admin closes the day through close's API. Timed from the request
// until billing paid every positive balance and close and analytics have seen every payout.
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { balances, call, check, checkAgreement, pool, stored, until, type World } from './world.ts'

type Task = { task_id: string; assignee_id: string }
type Closes = { closes: Array<{ business_day: string; closed_at: string | null; accounts_paid: number | null; total_paid: number | null }> }

export async function closeDay(world: World, accounts: number, connections: number): Promise<Row[]> {
  const { urls } = world.system
  const applied = () => stored(world.jsm, 'BILLING', 'billing.transaction_applied.>')
  const before = await applied()
  progress(`close: ${accounts} tasks created and completed through tasks' API`)
  const creator = await world.tokenOf(world.popugs[0]!)
  const tasks = await pool('tasks created', Array.from({ length: accounts }, (_, i) => i), connections, (i) =>
    call<Task>(`${urls.tasks}/api/tasks`, creator, { body: { title: `Count the millet, shelf ${i + 1}` } }),
  )
  await pool('tasks completed', tasks, connections, async (task) =>
    call(`${urls.tasks}/api/tasks/${task.task_id}/complete`, await world.tokenOf(task.assignee_id), { method: 'POST' }),
  )
  await until('fees and rewards applied', applied, before + 2 * accounts)
  await world.system.settled(10 * 60_000)

  const positive = (await balances(world)).filter((a) => a.balance > 0)
  const expectedTotal = positive.reduce((sum, a) => sum + a.balance, 0)
  const paidBefore = await stored(world.jsm, 'BILLING', 'billing.payout_made.>')
  const closedBefore = await stored(world.jsm, 'BILLING', 'billing.day_closed.>')
  progress(`close: ${positive.length} of ${accounts} accounts are positive; closing the day`)

  const started = performance.now()
  const { business_day: day } = await call<{ business_day: string }>(`${urls.close}/api/closes`, world.admin, { method: 'POST' })
  await until('payouts made', () => stored(world.jsm, 'BILLING', 'billing.payout_made.>'), paidBefore + positive.length)
  await until('day closed', () => stored(world.jsm, 'BILLING', 'billing.day_closed.>'), closedBefore + 1)
  await world.system.settled(10 * 60_000)
  const seconds = (performance.now() - started) / 1000

  const closed = (await call<Closes>(`${urls.close}/api/closes`, world.admin)).closes.find((c) => c.business_day === day)
  check(closed?.closed_at != null, `close saw ${day} closed`)
  check(closed.accounts_paid === positive.length, `${closed.accounts_paid} accounts paid, ${positive.length} were positive`)
  check(closed.total_paid === expectedTotal, `${closed.total_paid} cents paid, ${expectedTotal} were due`)
  check((await balances(world)).every((a) => a.balance <= 0), 'no positive balance left after the payouts')
  await checkAgreement(world)
  progress(`close: ${day} closed in ${seconds.toFixed(1)} s with ${positive.length} payouts`)
  return [
    {
      figure: `close of a day, ${accounts.toLocaleString('en-US')} accounts`,
      unit: 's',
      value: seconds,
      details: { accounts, payouts: positive.length, total_paid_cents: expectedTotal, business_day: day },
    },
  ]
}
