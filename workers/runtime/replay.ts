// An ordered read of a stream from its first message to the last one stored when the read
// began: for a worker that restores its own past decisions before it consumes anything else.
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { decodeEvent } from '../../contracts/envelope.ts'
import type { Envelope } from '../../contracts/envelope.ts'
import type { StreamName } from './nats.ts'

/** Calls `handle` with each batch of decoded events, in stream order; returns how many. */
export async function readToEnd(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: StreamName,
  handle: (events: Envelope[]) => void,
  options: { filter?: string; batchSize?: number } = {},
): Promise<number> {
  const last = (await jsm.streams.info(stream)).state.last_seq
  if (last === 0) return 0
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.All,
    ...(options.filter ? { filter_subjects: options.filter } : {}),
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
        batch = []
      }
      if (done) break
    }
  } finally {
    await consumer.delete().catch(() => undefined)
  }
  return count
}
