// What the invariant checker looks at, read from a running system: the TASKS, BILLING and
// ANALYTICS streams from their start (as the operator), billing's and analytics' APIs as an
// admin, and the audit worker's differences once it has judged everything.
import { jetstream } from '@nats-io/jetstream'
import { connectNats, manager, type StreamName } from '../../workers/runtime/nats.ts'
import { readToEnd } from '../../workers/runtime/replay.ts'
import { waitFor } from '../../workers/runtime/testing/helpers.ts'
import type { NatsFixture } from '../../workers/runtime/testing/nats-server.ts'
import { allPages, api, type System } from '../../workers/runtime/testing/system.ts'
import type { Envelope } from '../../contracts/envelope.ts'
import { checkInvariants, type Evidence, type Report } from './invariants.ts'

export type StreamRead = { events: Envelope[]; stored: number }

/** Who reads the streams: the operator's credentials, on a server with users. */
export type Operator = { user: string; pass: string }

/** How often a read of the streams is tried: JetStream may not answer for seconds after a node came back. */
const READ_ATTEMPTS = 5
const READ_RETRY_MS = 2000

/**
 * Every decodable event of a stream in order; `stored` counts every message, bad ones too. A
 * read JetStream did not answer (a request timing out while a node that has just come back
 * rejoins, as the cluster scenario's ends) is tried again from the start; the last failure says
 * which stream it was.
 */
export async function readEvents(servers: string[], stream: StreamName, operator?: Operator): Promise<StreamRead> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readEventsOnce(servers, stream, operator)
    } catch (error) {
      if (attempt >= READ_ATTEMPTS) throw new Error(`reading ${stream} for the evidence, ${attempt} times: ${(error as Error).message}`)
      await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS))
    }
  }
}

async function readEventsOnce(servers: string[], stream: StreamName, operator?: Operator): Promise<StreamRead> {
  const nc = await connectNats({ servers, name: `faults-read-${stream}`, ...operator })
  try {
    const events: Envelope[] = []
    const stored = await readToEnd(
      jetstream(nc),
      await manager(nc),
      stream,
      (batch: Envelope[]) => {
        events.push(...batch)
      },
      { name: `faults-read-${stream.toLowerCase()}` },
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

type AuditAnswer = NonNullable<Evidence['audit']> & { caught_up_at: string | null }

/**
 * The audit worker's differences once it has judged everything: it was caught up after
 * `quietSince`, the moment the system was seen quiet.
 */
async function auditAnswer(system: System<NatsFixture | undefined>, adminToken: string, quietSince: Date): Promise<Evidence['audit']> {
  const answer = await waitFor(async () => {
    const found = await get<AuditAnswer>(`${system.urls.audit}/api/differences`, adminToken)
    return found.caught_up_at !== null && Date.parse(found.caught_up_at) >= quietSince.getTime() ? found : undefined
  }, 'the audit worker to judge everything', 30_000)
  return { total: answer.total, pending: answer.pending, differences: answer.differences }
}

/** Reads everything once the system has settled (every consumer caught up). */
export async function gatherEvidence(system: System<NatsFixture | undefined>, adminToken: string, acknowledged?: Evidence['acknowledged'], quietSince?: Date, operator?: Operator): Promise<Evidence> {
  const read = (stream: StreamName) => readEvents(system.natsServers, stream, operator)
  const [tasks, billing, analytics] = await Promise.all([read('TASKS'), read('BILLING'), read('ANALYTICS')])
  const { billing: billingUrl, analytics: analyticsUrl } = system.urls
  const listed = await allPages<{ account_id: string; balance: number }>(`${billingUrl}/api/accounts`, adminToken, 'accounts')
  const open = listed.first.business_day as string
  const pairs = new Set<string>()
  let first = open
  for (const e of billing.events) {
    if (e.event_name !== 'billing.transaction_applied') continue
    const { account_id, business_day } = (e as Envelope<'billing.transaction_applied'>).data
    pairs.add(`${account_id}/${business_day}`)
    if (business_day < first) first = business_day
  }
  const accountDays: AccountPage[] = []
  for (const pair of pairs) {
    const [account, day] = pair.split('/') as [string, string]
    const whole = await allPages<AccountPage['entries'][number]>(`${billingUrl}/api/accounts/${account}?day=${day}`, adminToken, 'entries')
    accountDays.push({ ...(whole.first as AccountPage), entries: whole.items })
  }
  const range = `from=${first}&to=${open}`
  const earnings = await get<{ days: Evidence['billingEarnings'] }>(`${billingUrl}/api/management/earnings?${range}`, adminToken)
  const days = await get<{ days: Evidence['analyticsDays'] }>(`${analyticsUrl}/api/analytics/days?${range}`, adminToken)
  const today = await get<Evidence['analyticsToday']>(`${analyticsUrl}/api/analytics/today`, adminToken)
  return {
    tasks: tasks.events,
    billing: billing.events,
    analytics: analytics.events,
    balances: listed.items,
    accountDays,
    billingEarnings: earnings.days,
    billingOpenDay: open,
    analyticsDays: days.days,
    analyticsToday: today,
    ...(acknowledged ? { acknowledged } : {}),
    ...(quietSince ? { audit: await auditAnswer(system, adminToken, quietSince) } : {}),
  }
}

/**
 * Waits until every consumer caught up, then checks the whole system, the audit worker's answer
 * included; `operator` reads the streams of a server with users.
 */
export async function checkSystem(system: System<NatsFixture | undefined>, adminToken: string, acknowledged?: Evidence['acknowledged'], operator?: Operator): Promise<Report> {
  // Messages a killed worker had received but not acked come back after the ack wait (30 s).
  await system.settled(180_000)
  return checkInvariants(await gatherEvidence(system, adminToken, acknowledged, new Date(), operator))
}

/** One line for the test's diagnostics; the differences themselves when there are any. */
export function describeReport(report: Report): string {
  const c = report.counts
  const head = `${c.tasks} tasks, ${c.assignments} assignments, ${c.completions} completions, ${c.entries} entries on ${c.accounts} accounts, ${c.payouts} payouts in ${c.closedDays} closes, ${c.cents} cents: ${report.differences.length} differences`
  return [head, ...report.differences.slice(0, 30)].join('\n  ')
}
