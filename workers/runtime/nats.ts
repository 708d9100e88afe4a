// The only place that knows JetStream: connections, streams, durable consumers.
import { connect as connectNode, type NatsConnection } from '@nats-io/transport-node'
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream'
import { nanos } from '@nats-io/nats-core'
import { type KV, type KvOptions, Kvm } from '@nats-io/kv'
import type { WorkerName } from './config.ts'
import type { Logger } from './log.ts'

export type StreamName = 'ACCOUNTS' | 'TASKS' | 'BILLING' | 'ANALYTICS' | 'AUTH' | 'CLOSE' | 'DLQ'

/** Every stream of the system, in one place. */
export const STREAMS: Record<StreamName, { subjects: string[]; description: string }> = {
  ACCOUNTS: { subjects: ['accounts.>'], description: 'accounts.* events from auth' },
  TASKS: { subjects: ['tasks.>'], description: 'tasks.* events from tasks' },
  BILLING: { subjects: ['billing.>'], description: 'billing.* events and commands' },
  ANALYTICS: { subjects: ['analytics.>'], description: "analytics.* events: analytics' published figures" },
  AUTH: { subjects: ['auth.>'], description: "auth's own state (accounts with beak hashes, signing keys), for an auth instance taking over; only auth may read it" },
  CLOSE: { subjects: ['close.>'], description: "close's own record of the payout mails it sent, for a close instance taking over" },
  DLQ: { subjects: ['dlq.>'], description: 'dead letters: dlq.<worker>, with the reason in headers' },
}

/** The stream each worker publishes its events to (the audit publishes none). */
export const OWN_STREAM: Record<WorkerName, StreamName | undefined> = {
  auth: 'AUTH',
  tasks: 'TASKS',
  billing: 'BILLING',
  close: 'CLOSE',
  analytics: 'ANALYTICS',
  audit: undefined,
}

/** The stream a subject is stored in. */
export function streamOf(subject: string): StreamName {
  const prefix = subject.split('.')[0]
  const found = (Object.keys(STREAMS) as StreamName[]).find((name) =>
    STREAMS[name].subjects.some((pattern) => pattern.split('.')[0] === prefix),
  )
  if (!found) throw new Error(`no stream holds subject ${subject}`)
  return found
}

export type ConnectOptions = {
  servers: string[]
  name: string
  user?: string | undefined
  pass?: string | undefined
  log?: Logger
  /**
   * Capture the caller's stack for every request (a JetStream publish is one), so a failed
   * request points at its caller. It costs two Errors per request, about half the client's
   * CPU of a publish: workers go without.
   */
  asyncTraces?: boolean
  /**
   * The prefix of the connection's reply subjects (JetStream API answers, publish acks, a
   * consumer's deliveries). A worker's is its own (inboxOf), and its NATS user may subscribe
   * to nothing else, so no worker reads another's replies.
   */
  inboxPrefix?: string
}

/** A worker's reply subjects: _INBOX_<worker>.> (deploy/nats/users.conf). */
export function inboxOf(worker: string): string {
  return `_INBOX_${worker}`
}

/** Connects with endless reconnects; the client buffers publishes while reconnecting. */
export async function connectNats(options: ConnectOptions): Promise<NatsConnection> {
  const nc = await connectNode({
    servers: options.servers,
    name: options.name,
    user: options.user,
    pass: options.pass,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    timeout: 5000,
    noAsyncTraces: !options.asyncTraces,
    ...(options.inboxPrefix ? { inboxPrefix: options.inboxPrefix } : {}),
  })
  const log = options.log
  if (log) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect') {
          log.warn(`nats ${status.type}`, { server: 'server' in status ? status.server : undefined })
        }
      }
    })()
  }
  return nc
}

/** Creates the streams, or brings an existing one to the configured shape. Idempotent. */
export async function ensureStreams(
  jsm: JetStreamManager,
  replicas: number,
  names: StreamName[] = Object.keys(STREAMS) as StreamName[],
): Promise<void> {
  for (const name of names) {
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: STREAMS[name].subjects,
      description: STREAMS[name].description,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: replicas,
      duplicate_window: nanos(2 * 60 * 1000),
    }
    try {
      const info = await jsm.streams.info(name)
      const same =
        info.config.num_replicas === replicas &&
        JSON.stringify(info.config.subjects) === JSON.stringify(config.subjects)
      // Only what differs changes: limits, retention and the duplicate window an operator set stay.
      if (!same) await jsm.streams.update(name, { ...info.config, subjects: config.subjects, num_replicas: replicas })
    } catch (error) {
      if (!isNotFound(error)) throw error
      try {
        await jsm.streams.add(config)
      } catch (addError) {
        // Another worker may have created it a moment ago.
        const message = String((addError as Error).message)
        if (/permissions violation/i.test(message)) {
          throw new Error(`stream ${name} does not exist and this NATS user may not create it: provision the streams as an operator first (make up does)`)
        }
        if (!/already in use|exists/i.test(message)) throw addError
      }
    }
  }
}

export type DurableSpec = {
  stream: StreamName
  durable: string
  filter: string
  ackWaitMs: number
  maxAckPending: number
  /**
   * The stream sequence the database has applied this subscription up to without the durable
   * (a standby following the streams, runtime/follow.ts): a durable behind it starts after it.
   */
  appliedUpTo?: number
}

/** Creates the durable pull consumer, or updates what may change. Idempotent. */
export async function ensureDurable(jsm: JetStreamManager, spec: DurableSpec): Promise<void> {
  const after = spec.appliedUpTo ?? 0
  const config = {
    durable_name: spec.durable,
    filter_subject: spec.filter,
    ack_policy: AckPolicy.Explicit,
    ...(after > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: after + 1 } : { deliver_policy: DeliverPolicy.All }),
    // The server redelivers without limit; the consumer loop counts deliveries and
    // dead-letters, so a message whose dead letter could not be written is not stranded.
    max_deliver: -1,
    ack_wait: nanos(spec.ackWaitMs),
    max_ack_pending: spec.maxAckPending,
  }
  const info = await jsm.consumers.info(spec.stream, spec.durable).catch((error: unknown) => {
    if (isNotFound(error)) return undefined
    throw error
  })
  if (info === undefined) {
    await jsm.consumers.add(spec.stream, config)
  } else if (info.ack_floor.stream_seq < after) {
    // What it would deliver up to there is applied already: it starts over after it.
    await jsm.consumers.delete(spec.stream, spec.durable)
    await jsm.consumers.add(spec.stream, config)
  } else if (info.config.ack_wait !== config.ack_wait || info.config.max_ack_pending !== config.max_ack_pending) {
    await jsm.consumers.update(spec.stream, spec.durable, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending })
  }
}

export function isNotFound(error: unknown): boolean {
  return /not found/i.test(String((error as Error)?.message ?? error))
}

export async function manager(nc: NatsConnection): Promise<JetStreamManager> {
  return jetstreamManager(nc)
}

/** Headers a dead letter carries besides its original payload. */
export const DLQ_HEADERS = {
  reason: 'Ates-Dlq-Reason',
  subject: 'Ates-Dlq-Subject',
  stream: 'Ates-Dlq-Stream',
  sequence: 'Ates-Dlq-Sequence',
  consumer: 'Ates-Dlq-Consumer',
  deliveries: 'Ates-Dlq-Deliveries',
  eventId: 'Ates-Dlq-Event-Id',
} as const

export function dlqSubject(worker: string): string {
  return `dlq.${worker}`
}

/** The key-value buckets of the system: each worker's lease (expiring), and the epoch of its last active instance (kept). */
export const BUCKETS = { leases: 'ates_leases', epochs: 'ates_epochs' } as const

export type Buckets = { leases: KV; epochs: KV }

/**
 * Opens the buckets, creating them when missing (the operator does, when the stack starts):
 * the leases' keys expire after `leaseTtlMs` without a renewal.
 */
export async function ensureBuckets(nc: NatsConnection, replicas: number, leaseTtlMs: number): Promise<Buckets> {
  const kvm = new Kvm(nc)
  const jsm = await manager(nc)
  const open = async (name: string, options: Partial<KvOptions>) => {
    try {
      await jsm.streams.info(`KV_${name}`)
      return await kvm.open(name, { bindOnly: true })
    } catch (error) {
      if (!isNotFound(error)) throw error
      try {
        return await kvm.create(name, { replicas, history: 1, ...options })
      } catch (createError) {
        if (/permissions violation/i.test(String((createError as Error).message))) {
          throw new Error(`bucket ${name} does not exist and this NATS user may not create it: provision the streams as an operator first (make up does)`)
        }
        throw createError
      }
    }
  }
  return { leases: await open(BUCKETS.leases, { ttl: leaseTtlMs }), epochs: await open(BUCKETS.epochs, {}) }
}
