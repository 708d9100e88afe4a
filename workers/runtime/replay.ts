// An ordered read of a stream, from its first message (or a given one) to the last one stored
// when the read began: for a worker that brings its own past decisions into its database
// before it consumes anything else (a rebuild, or a standby taking over).
//
// The consumer it reads through has a fixed name (<worker>-readback), because a worker's NATS
// user may only create and use consumers it is granted by name (deploy/nats/users.conf); the
// client's own ordered consumer names itself afresh every time it starts over. This one starts
// over the same way — a new consumer from the first message not yet read — under the same name.
import { AckPolicy, DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { decodeEvent, type Envelope } from '../../contracts/envelope.ts'
import { type EventName, subjectOf } from '../../contracts/registry.ts'
import { isNotFound, type StreamName, streamOf } from './nats.ts'

export type ReadOptions = {
  /** The reading consumer's name, one the connection's user may use. */
  name: string
  filter?: string
  batchSize?: number
  /** How long a fetch waits for messages the read still expects. */
  fetchMs?: number
  /** Start at this stream sequence instead of the first. */
  fromSeq?: number
  /** Told after each batch was handled, with the stream sequence of its last message. */
  handled?: (lastSeq: number) => void
}

/** The consumer a worker reads its own stream back through. */
export const readbackName = (worker: string) => `${worker}-readback`

/** How many times in a row the read may start over without getting further. */
const MAX_STALLS = 10

/**
 * Calls `handle` with each batch of decoded events and their stream sequences, in stream order;
 * returns how many messages it read. A `handle` that took only the first n events of a batch
 * (it returns n) ends the read there.
 */
export async function readToEnd(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: StreamName,
  handle: (events: Envelope[], seqs: number[]) => number | void,
  options: ReadOptions,
): Promise<number> {
  const last = (await jsm.streams.info(stream)).state.last_seq
  if (last === 0 || (options.fromSeq !== undefined && options.fromSeq > last)) return 0
  const size = options.batchSize ?? 1000
  // The first stream sequence not read yet, and how many messages were read.
  let next = options.fromSeq ?? 1
  let count = 0
  let stalls = 0
  try {
    for (;;) {
      const from = next
      const read = await readFrom(from)
      if (read === 'done') return count
      stalls = next > from ? 0 : stalls + 1
      if (stalls >= MAX_STALLS) throw new Error(`reading ${stream} back got no further than sequence ${next}`)
    }
  } finally {
    await jsm.consumers.delete(stream, options.name).catch(() => undefined)
  }

  /** One consumer from `from` on, until the end or until a message goes missing ('again'). */
  async function readFrom(from: number): Promise<'done' | 'again'> {
    // A consumer left by a read that died is replaced.
    await jsm.consumers.delete(stream, options.name).catch(() => undefined)
    const info = await jsm.consumers.add(stream, {
      name: options.name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
      ...(options.filter ? { filter_subject: options.filter } : {}),
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(60_000),
    })
    if (info.num_pending === 0) return 'done'
    const consumer = await js.consumers.get(stream, options.name)
    let delivered = 0
    for (;;) {
      const batch: Envelope[] = []
      const seqs: number[] = []
      const fetchedFrom = next
      let outcome: 'done' | 'again' | 'more' = 'again'
      try {
        const messages = await consumer.fetch({ max_messages: size, expires: options.fetchMs ?? 5000 })
        for await (const msg of messages) {
          // Without acks nothing is delivered twice; a number skipped is a message lost on the way.
          if (msg.info.deliverySequence !== delivered + 1) {
            outcome = 'again'
            break
          }
          delivered += 1
          next = msg.seq + 1
          count += 1
          const decoded = decodeEvent(msg.subject, msg.data)
          if (decoded.ok) {
            batch.push(decoded.event)
            seqs.push(msg.seq)
          }
          outcome = msg.seq >= last || msg.info.pending === 0 ? 'done' : 'more'
          if (outcome === 'done') break
        }
      } catch {
        // The consumer went away (a broker restart, its inactivity limit): start over from `next`.
        outcome = 'again'
      }
      const taken = batch.length > 0 ? handle(batch, seqs) : undefined
      if (taken !== undefined && taken < batch.length) {
        if (taken > 0) options.handled?.(seqs[taken - 1]!)
        return 'done'
      }
      if (next > fetchedFrom) options.handled?.(next - 1)
      if (outcome !== 'more') return outcome
    }
  }
}

/** The last event of a name stored in its stream (its latest version's subject), if any and readable. */
export async function lastEventOf<N extends EventName>(jsm: JetStreamManager, event: N): Promise<Envelope<N> | undefined> {
  const subject = subjectOf(event)
  try {
    const msg = await jsm.streams.getMessage(streamOf(subject), { last_by_subj: subject })
    const decoded = msg && decodeEvent(subject, msg.data)
    return decoded && decoded.ok ? (decoded.event as Envelope<N>) : undefined
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
}
