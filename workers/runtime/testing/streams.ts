// What a test needs of the streams, without a worker: publish events the way their producers
// do, read a stream back, remove a worker's durables (as a rebuild does).
import { DeliverPolicy, jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import type { MsgHdrs } from '@nats-io/nats-core'
import type { NatsConnection } from '@nats-io/transport-node'
import { randomUUID } from 'node:crypto'
import { type Envelope, makeEnvelope, type Producer } from '../../../contracts/envelope.ts'
import type { EventData, EventName } from '../../../contracts/registry.ts'
import { connectNats, ensureStreams, manager, type StreamName } from '../nats.ts'
import { type NatsFixture, startNats } from './nats-server.ts'

export type StoredMessage = { seq: number; subject: string; data: string; headers: MsgHdrs | undefined }

export type PublishOptions = { eventId?: string; time?: Date; producer?: Producer }

export type TestStreams = {
  nc: NatsConnection
  js: JetStreamClient
  jsm: JetStreamManager
  /** Publishes an event as its producer would (Nats-Msg-Id = event_id); returns the event id. */
  publish<N extends EventName>(name: N, data: EventData<N>, options?: PublishOptions): Promise<string>
  /** Every message a stream holds (optionally only those on one filter subject), in order. */
  read(stream: StreamName, filter?: string): Promise<StoredMessage[]>
  /** The events a stream holds (optionally on one filter subject), parsed, in order. */
  events(stream: StreamName, filter?: string): Promise<Envelope[]>
  /** Deletes every durable consumer of a worker, as `make replay` does. */
  deleteDurables(worker: string): Promise<void>
  close(): Promise<void>
}

/** The worker that publishes an event. */
export function producerOf(name: EventName): Producer {
  if (name.startsWith('accounts.') || name.startsWith('auth.')) return 'auth'
  if (name.startsWith('tasks.')) return 'tasks'
  if (name.startsWith('close.')) return 'close'
  if (name.startsWith('analytics.')) return 'analytics'
  return name === 'billing.day_close_requested' ? 'close' : 'billing'
}

/** Connected as `user` on a server with users (deploy/nats/users.conf: the operator). */
export async function connectTestStreams(url: string, user?: { user: string; pass: string }): Promise<TestStreams> {
  const nc = await connectNats({ servers: [url], name: 'test', ...user })
  const js = jetstream(nc)
  const jsm = await manager(nc)
  const read = (stream: StreamName, filter?: string) => readStream(js, jsm, stream, filter)
  return {
    nc,
    js,
    jsm,
    async publish(name, data, options = {}) {
      const eventId = options.eventId ?? randomUUID()
      const { subject, envelope } = makeEnvelope({ name, data, eventId, time: options.time ?? new Date(), producer: options.producer ?? producerOf(name) })
      await js.publish(subject, JSON.stringify(envelope), { msgID: eventId })
      return eventId
    },
    read,
    events: async (stream, filter) => (await read(stream, filter)).map((m) => JSON.parse(m.data) as Envelope),
    async deleteDurables(worker) {
      for (const stream of ['ACCOUNTS', 'TASKS', 'BILLING', 'ANALYTICS', 'AUTH', 'CLOSE'] as const) {
        for await (const consumer of jsm.consumers.list(stream)) {
          if (consumer.name.startsWith(`${worker}-`)) await jsm.consumers.delete(stream, consumer.name)
        }
      }
    },
    close: () => nc.close(),
  }
}

/** Every message a stream holds (optionally only on one subject filter), in order. */
export async function readStream(js: JetStreamClient, jsm: JetStreamManager, stream: string, filter?: string): Promise<StoredMessage[]> {
  const info = await jsm.streams.info(stream)
  const total = filter ? undefined : info.state.messages
  if (total === 0) return []
  // Named like every consumer here, <who>-<what>: users.conf grants consumers by name.
  const consumer = await js.consumers.get(stream, {
    name_prefix: `test-read-${randomUUID().slice(0, 8)}`,
    deliver_policy: DeliverPolicy.All,
    ...(filter ? { filter_subjects: filter } : {}),
  })
  const out: StoredMessage[] = []
  const lastSeq = info.state.last_seq
  for (;;) {
    const msg = await consumer.next({ expires: 1000 })
    if (!msg) break
    out.push({ seq: msg.seq, subject: msg.subject, data: msg.string(), headers: msg.headers })
    if (msg.seq >= lastSeq || msg.info.pending === 0) break
  }
  await consumer.delete().catch(() => undefined)
  return out
}

export type TestBroker = { nats: NatsFixture; streams: TestStreams; stop(): Promise<void> }

/** A nats-server of the test's own with every stream provisioned, and a connection to it. */
export async function startTestBroker(): Promise<TestBroker> {
  const nats = await startNats()
  const streams = await connectTestStreams(nats.url)
  await ensureStreams(streams.jsm, 1)
  return {
    nats,
    streams,
    async stop() {
      await streams.close()
      await nats.stop()
    },
  }
}
