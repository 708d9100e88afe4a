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
 * may still be in the stream's duplicate window) and removes it from the DLQ. Consumers that
 * had already handled the event skip it by its event_id.
 */
export async function redrive(js: JetStreamClient, jsm: JetStreamManager, letters: DeadLetter[]): Promise<number> {
  let sent = 0
  for (const letter of letters) {
    if (!letter.subject) continue
    await js.publish(letter.subject, letter.payload, { msgID: `redrive-${letter.seq}-${letter.eventId}` })
    await jsm.streams.deleteMessage('DLQ', letter.seq, false)
    sent++
  }
  return sent
}
