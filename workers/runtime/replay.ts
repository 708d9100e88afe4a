// An ordered read of a stream, from its first message (or a given one) to the last one stored
// when the read began: for a worker that brings its own past decisions into its database
// before it consumes anything else (a rebuild, or a standby taking over).
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { decodeEvent } from '../../contracts/envelope.ts'
import type { Envelope } from '../../contracts/envelope.ts'
import type { StreamName } from './nats.ts'

export type ReadOptions = {
  filter?: string
  batchSize?: number
  /** Start at this stream sequence instead of the first. */
  fromSeq?: number
  /** Told after each batch was handled, with the stream sequence of its last message. */
  handled?: (lastSeq: number) => void
  /** The name of the ordered consumer (a user may only make consumers with its own prefix). */
  name?: string
}

/** Calls `handle` with each batch of decoded events, in stream order; returns how many messages it read. */
export async function readToEnd(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: StreamName,
  handle: (events: Envelope[]) => void,
  options: ReadOptions = {},
): Promise<number> {
  const last = (await jsm.streams.info(stream)).state.last_seq
  if (last === 0 || (options.fromSeq !== undefined && options.fromSeq > last)) return 0
  const consumer = await js.consumers.get(stream, {
    ...(options.fromSeq !== undefined ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.fromSeq } : { deliver_policy: DeliverPolicy.All }),
    ...(options.filter ? { filter_subjects: options.filter } : {}),
    ...(options.name ? { name_prefix: options.name } : {}),
  })
  let count = 0
  let batch: Envelope[] = []
  try {
    if ((await consumer.info()).num_pending === 0) return 0
    const messages = await consumer.consume({ max_messages: options.batchSize ?? 1000 })
    for await (const msg of messages) {
      const decoded = decodeEvent(msg.subject, msg.data)
      if (decoded.ok) batch.push(decoded.event)
      count++
      const done = msg.seq >= last || msg.info.pending === 0
      if (batch.length >= (options.batchSize ?? 1000) || done) {
        handle(batch)
        options.handled?.(msg.seq)
        batch = []
      }
      if (done) break
    }
  } finally {
    await consumer.delete().catch(() => undefined)
  }
  return count
}
