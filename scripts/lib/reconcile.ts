// `make reconcile`: the audit in one pass over the streams, without the audit worker. The
// streams are read to the end they had when the read began, as the operator; the audit's own
// handlers and rules judge them (workers/audit/pass.ts); the report says what was read and
// checked and every kind of difference with examples.
import { jetstream } from '@nats-io/jetstream'
import { KINDS } from '../../workers/audit/domain.ts'
import { AuditPass, examples, type PassReport } from '../../workers/audit/pass.ts'
import { connectNats, manager, type StreamName } from '../../workers/runtime/nats.ts'
import { readToEnd } from '../../workers/runtime/replay.ts'

/** What the audit reads: what happened, what was charged, what analytics shows. */
export const AUDITED: readonly StreamName[] = ['TASKS', 'BILLING', 'ANALYTICS']

/** How far the read of a stream is; `done` once it reached the end the stream had. */
export type Progress = { stream: StreamName; read: number; stored: number; done: boolean }

export type Reconciliation = PassReport & {
  /** Messages stored per stream when the read began, and those that were no event (dead-lettered by the workers). */
  stored: Record<string, number>
  unreadable: number
  settleSeconds: number
  seconds: number
}

export async function reconcile(options: {
  servers: string[]
  credentials: { user?: string; pass?: string }
  settleSeconds: number
  onProgress?: (progress: Progress) => void
}): Promise<Reconciliation> {
  const started = Date.now()
  const nc = await connectNats({ servers: options.servers, name: 'ates-reconcile', ...options.credentials })
  const pass = new AuditPass()
  try {
    const js = jetstream(nc)
    const jsm = await manager(nc)
    // Everything stored before this moment is read: the pass is caught up as of it.
    const readAt = new Date()
    const stored: Record<string, number> = {}
    let unreadable = 0
    for (const stream of AUDITED) {
      const total = (await jsm.streams.info(stream)).state.messages
      stored[stream] = total
      let read = 0
      const messages = await readToEnd(
        js,
        jsm,
        stream,
        (events) => {
          pass.take(events)
          read += events.length
          options.onProgress?.({ stream, read, stored: total, done: false })
        },
        { name: `reconcile-${stream.toLowerCase()}` },
      )
      unreadable += messages - read
      options.onProgress?.({ stream, read, stored: total, done: true })
    }
    const report = pass.judge(readAt, options.settleSeconds)
    return { ...report, stored, unreadable, settleSeconds: options.settleSeconds, seconds: (Date.now() - started) / 1000 }
  } finally {
    pass.close()
    await nc.close()
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** The report, a line at a time. */
export function reportLines(r: Reconciliation): string[] {
  const read = Object.values(r.stored).reduce((a, b) => a + b, 0)
  const lines = [
    `reconcile: ${plural(read, 'event')} read from ${AUDITED.join(', ')} in ${r.seconds.toFixed(1)} s${r.unreadable ? ` (${r.unreadable} could not be read as events: see make dlq)` : ''}`,
    `checked ${plural(r.tasks, 'task')}, ${plural(r.accounts, 'account')}, ${plural(r.entries, 'ledger entry', 'ledger entries')} moving ${r.cents} cents`,
  ]
  const pending = r.pending ? `; ${plural(r.pending, 'finding')} younger than ${r.settleSeconds} s not settled yet (ATES_AUDIT_SETTLE_SECONDS)` : ''
  lines.push(`${plural(r.total, 'difference')}${pending}`)
  for (const { kind, count, examples: shown } of examples(r)) {
    lines.push(`  ${kind}: ${count} — ${KINDS[kind].meaning}`)
    for (const d of shown) {
      const concerns = d.task_id ? `task ${d.task_id}` : d.account_id ? `account ${d.account_id} on ${d.day}` : `day ${d.business_day}`
      lines.push(`    ${concerns}: ${d.message} [${d.events.map((e) => `${e.event_name} ${e.event_id}`).join(', ')}]`)
    }
  }
  return lines
}
