// Dead letters (stream DLQ, subjects dlq.<worker>): list them, and send them back to their
// original subject once the cause is fixed.
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { DLQ_HEADERS } from '../../workers/runtime/nats.ts'

export type DeadLetter = {
  seq: number
  time: Date
  worker: string
  subject: string
  reason: string
  deliveries: string
  eventId: string
  /** Where the original message is stored: the stream and its sequence there. */
  origin: string
  payload: string
}

export async function listDeadLetters(js: JetStreamClient, jsm: JetStreamManager, worker?: string): Promise<DeadLetter[]> {
  const info = await jsm.streams.info('DLQ')
  if (info.state.messages === 0) return []
  const consumer = await js.consumers.get('DLQ', {
    deliver_policy: DeliverPolicy.All,
    filter_subjects: worker ? `dlq.${worker}` : 'dlq.>',
  })
  const letters: DeadLetter[] = []
  try {
    for (;;) {
      const msg = await consumer.next({ expires: 1000 })
      if (!msg) break
      const header = (name: string) => msg.headers?.get(name) ?? ''
      letters.push({
        seq: msg.seq,
        time: msg.time,
        worker: msg.subject.slice('dlq.'.length),
        subject: header(DLQ_HEADERS.subject),
        reason: header(DLQ_HEADERS.reason),
        deliveries: header(DLQ_HEADERS.deliveries),
        eventId: header(DLQ_HEADERS.eventId),
        origin: header(DLQ_HEADERS.stream) && header(DLQ_HEADERS.sequence) ? `${header(DLQ_HEADERS.stream)}/${header(DLQ_HEADERS.sequence)}` : `DLQ/${msg.seq}`,
        payload: msg.string(),
      })
      if (msg.seq >= info.state.last_seq || msg.info.pending === 0) break
    }
  } finally {
    await consumer.delete().catch(() => undefined)
  }
  return letters
}

export function deadLetterLine(letter: DeadLetter): string {
  return [
    letter.time.toISOString().replace('T', ' ').slice(0, 19),
    `#${letter.seq}`,
    letter.worker.padEnd(9),
    letter.subject || '?',
    `event=${letter.eventId || '?'}`,
    `deliveries=${letter.deliveries || '?'}`,
    `reason=${JSON.stringify(letter.reason)}`,
  ].join('  ')
}

/**
 * Publishes each dead letter to its original subject again (a new Nats-Msg-Id: the old one
 * may still be in the stream's duplicate window) and removes it from the DLQ. Every consumer
 * of that subject sees it again: those that had handled the event skip it by its event_id,
 * and letters of several workers for one original message are sent back once.
 */
export async function redrive(js: JetStreamClient, jsm: JetStreamManager, letters: DeadLetter[]): Promise<number> {
  let sent = 0
  const sentBack = new Set<string>()
  for (const letter of letters) {
    if (!letter.subject) continue
    if (!sentBack.has(letter.origin)) {
      await js.publish(letter.subject, letter.payload, { msgID: `redrive-${letter.seq}-${letter.eventId}` })
      sentBack.add(letter.origin)
    }
    await jsm.streams.deleteMessage('DLQ', letter.seq, false)
    sent++
  }
  return sent
}
