// What the invariant checker looks at, read from a running system: the TASKS and BILLING
// streams from their start (as the operator), and billing's and analytics' APIs as an admin.
import { jetstream } from '@nats-io/jetstream'
import { connectNats, manager, type StreamName } from '../../workers/runtime/nats.ts'
import { readToEnd } from '../../workers/runtime/replay.ts'
import { api, type System } from '../../workers/runtime/testing/system.ts'
import type { Envelope } from '../../contracts/envelope.ts'
import { checkInvariants, type Evidence, type Recorded, type Report } from './invariants.ts'

export type StreamRead = { events: Recorded[]; stored: number }

/** Every decodable event of a stream in order; `stored` counts every message, bad ones too. */
export async function readEvents(natsUrl: string, stream: StreamName): Promise<StreamRead> {
  const nc = await connectNats({ servers: [natsUrl], name: `faults-read-${stream}` })
  try {
    const events: Recorded[] = []
    const stored = await readToEnd(
      jetstream(nc),
      await manager(nc),
      stream,
      (batch: Envelope[]) => {
        for (const e of batch) events.push({ event_id: e.event_id, name: e.event_name, data: e.data } as Recorded)
      },
      { name: 'faults-read' },
    )
    return { events, stored }
  } finally {
    await nc.close()
  }
}

async function get<T>(url: string, token: string): Promise<T> {
  const response = await api<T>(url, token)
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

type AccountPage = Evidence['accountDays'][number]

/** Reads everything once the system has settled (every consumer caught up). */
export async function gatherEvidence(system: System, adminToken: string, acknowledged?: Evidence['acknowledged']): Promise<Evidence> {
  const [tasks, billing] = await Promise.all([readEvents(system.nats.url, 'TASKS'), readEvents(system.nats.url, 'BILLING')])
  const { billing: billingUrl, analytics: analyticsUrl } = system.urls
  const listed = await get<{ business_day: string; accounts: Array<{ account_id: string; balance: number }> }>(`${billingUrl}/api/accounts`, adminToken)
  const open = listed.business_day
  const pairs = new Set<string>()
  let first = open
  for (const e of billing.events) {
    if (e.name !== 'billing.transaction_applied') continue
    pairs.add(`${e.data.account_id}/${e.data.business_day}`)
    if (e.data.business_day < first) first = e.data.business_day
  }
  const accountDays: AccountPage[] = []
  for (const pair of pairs) {
    const [account, day] = pair.split('/') as [string, string]
    accountDays.push(await get<AccountPage>(`${billingUrl}/api/accounts/${account}?day=${day}`, adminToken))
  }
  const range = `from=${first}&to=${open}`
  const earnings = await get<{ days: Evidence['billingEarnings'] }>(`${billingUrl}/api/management/earnings?${range}`, adminToken)
  const days = await get<{ days: Evidence['analyticsDays'] }>(`${analyticsUrl}/api/analytics/days?${range}`, adminToken)
  const today = await get<Evidence['analyticsToday']>(`${analyticsUrl}/api/analytics/today`, adminToken)
  return {
    tasks: tasks.events,
    billing: billing.events,
    balances: listed.accounts,
    accountDays,
    billingEarnings: earnings.days,
    billingOpenDay: open,
    analyticsDays: days.days,
    analyticsToday: today,
    ...(acknowledged ? { acknowledged } : {}),
  }
}

/** Waits until every consumer caught up, then checks the whole system. */
export async function checkSystem(system: System, adminToken: string, acknowledged?: Evidence['acknowledged']): Promise<Report> {
  // Messages a killed worker had received but not acked come back after the ack wait (30 s).
  await system.settled(180_000)
  return checkInvariants(await gatherEvidence(system, adminToken, acknowledged))
}

/** One line for the test's diagnostics; the differences themselves when there are any. */
export function describeReport(report: Report): string {
  const c = report.counts
  const head = `${c.tasks} tasks, ${c.assignments} assignments, ${c.completions} completions, ${c.entries} entries on ${c.accounts} accounts, ${c.payouts} payouts in ${c.closedDays} closes, ${c.cents} cents: ${report.differences.length} differences`
  return [head, ...report.differences.slice(0, 30)].join('\n  ')
}
