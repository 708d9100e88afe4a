// `make stream-report`: every stream with its messages, bytes and sequences, and every
// consumer with what it has not handled (num_pending), what it holds unacknowledged
// (num_ack_pending) and what was delivered again (num_redelivered), as `nats stream report`.
import type { JetStreamManager } from '@nats-io/jetstream'

export type ConsumerReport = { name: string; filter: string; pending: number; ackPending: number; redelivered: number; delivered: number; ackFloor: number }
export type StreamReport = { name: string; subjects: string[]; messages: number; bytes: number; firstSeq: number; lastSeq: number; consumers: ConsumerReport[] }

export async function streamReport(jsm: JetStreamManager): Promise<StreamReport[]> {
  const streams: StreamReport[] = []
  for await (const info of jsm.streams.list()) {
    const consumers: ConsumerReport[] = []
    for await (const consumer of jsm.consumers.list(info.config.name)) {
      consumers.push({
        name: consumer.name,
        filter: consumer.config.filter_subject ?? consumer.config.filter_subjects?.join(',') ?? '',
        pending: consumer.num_pending,
        ackPending: consumer.num_ack_pending,
        redelivered: consumer.num_redelivered,
        delivered: consumer.delivered.stream_seq,
        ackFloor: consumer.ack_floor.stream_seq,
      })
    }
    consumers.sort((a, b) => a.name.localeCompare(b.name))
    const { state } = info
    streams.push({ name: info.config.name, subjects: info.config.subjects ?? [], messages: state.messages, bytes: state.bytes, firstSeq: state.first_seq, lastSeq: state.last_seq, consumers })
  }
  return streams.sort((a, b) => a.name.localeCompare(b.name))
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

function table(header: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
}

const count = (n: number) => n.toLocaleString('en-US')

/** The report as two tables: the streams, then every consumer of each. */
export function formatReport(streams: readonly StreamReport[]): string {
  const lines = table(
    ['stream', 'subjects', 'messages', 'bytes', 'first seq', 'last seq', 'consumers'],
    streams.map((s) => [s.name, s.subjects.join(','), count(s.messages), formatBytes(s.bytes), String(s.firstSeq), String(s.lastSeq), String(s.consumers.length)]),
    new Set([2, 3, 4, 5, 6]),
  )
  const consumers = streams.flatMap((s) => s.consumers.map((c) => [s.name, c.name, c.filter, count(c.pending), count(c.ackPending), count(c.redelivered), String(c.delivered), String(c.ackFloor)]))
  lines.push('')
  if (consumers.length === 0) lines.push('no consumers')
  else lines.push(...table(['stream', 'consumer', 'filter', 'lag (pending)', 'ack pending', 'redelivered', 'last delivered', 'ack floor'], consumers, new Set([3, 4, 5, 6, 7])))
  return `${lines.join('\n')}\n`
}
