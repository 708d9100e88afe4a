// One readable line per stored event, for `make tail` and `make dlq`:
// "12:00:01.123  tasks.assigned v1  task=1a2b3c4d assignee=5e6f7a8b previous_assignee=–".
import { dollars } from '../../workers/runtime/views/format.ts'

/** Fields in cents (contracts/events): shown in dollars. */
const MONEY = new Set(['debit', 'credit', 'balance_after', 'amount', 'assign_fee', 'completion_reward', 'total_paid', 'management_earnings'])
/** Long or redundant fields left out of a line. */
const SKIP = new Set(['description', 'email', 'created_at', 'completed_at', 'assigned_at', 'applied_at', 'paid_at', 'requested_at', 'closed_at'])

function show(key: string, value: unknown): string | undefined {
  if (SKIP.has(key)) return undefined
  const name = key.endsWith('_id') && key !== 'jira_id' ? key.slice(0, -3) : key
  if (value === null) return `${name}=–`
  if (MONEY.has(key) && typeof value === 'number') return `${name}=${dollars(value)}`
  if (typeof value === 'string') {
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-/.test(value)) return `${name}=${value.slice(0, 8)}`
    const short = value.length > 40 ? `${value.slice(0, 39)}…` : value
    return `${name}=${/\s/.test(short) ? JSON.stringify(short) : short}`
  }
  if (typeof value === 'object') return `${name}=${JSON.stringify(value)}`
  return `${name}=${String(value)}`
}

/** The line for one message: its subject and payload (an event envelope, or anything else). */
export function eventLine(subject: string, payload: string, storedAt?: Date): string {
  let envelope: { event_time?: unknown; event_name?: unknown; event_version?: unknown; data?: unknown }
  try {
    envelope = JSON.parse(payload)
  } catch {
    return `${time(storedAt)}  ${subject}  (not JSON) ${JSON.stringify(payload.slice(0, 60))}`
  }
  const at = typeof envelope.event_time === 'string' ? new Date(envelope.event_time) : storedAt
  const version = typeof envelope.event_version === 'number' ? ` v${envelope.event_version}` : ''
  const name = typeof envelope.event_name === 'string' ? `${envelope.event_name}${version}` : subject
  const data = envelope.data && typeof envelope.data === 'object' ? (envelope.data as Record<string, unknown>) : {}
  const fields = Object.entries(data)
    .map(([key, value]) => show(key, value))
    .filter(Boolean)
    .join(' ')
  const via = name.startsWith(subject.replace(/\.v\d+$/, '')) ? '' : `  [${subject}]`
  return `${time(at)}  ${name.padEnd(30)} ${fields}${via}`
}

function time(at: Date | undefined): string {
  return at && !Number.isNaN(at.getTime()) ? at.toISOString().slice(11, 23) : '--:--:--.---'
}
