// deploy/nats/users.conf, written from the workers' own definitions: what each publishes, the
// consumers the runtime names for it (one set per instance name), its lease keys and its own
// inbox. A consumer's name is one subject token and a permission wildcard stands only for
// whole tokens, so "every consumer named billing-…" cannot be written: each name is listed.
// `make users-conf INSTANCES=a,b` writes it; scripts/nats-users.test.ts holds the file to this.
import { definition as analytics } from '../../workers/analytics/main.ts'
import { definition as audit } from '../../workers/audit/main.ts'
import { definition as auth } from '../../workers/auth/main.ts'
import { definition as billing } from '../../workers/billing/main.ts'
import { definition as close } from '../../workers/close/main.ts'
import { definition as tasks } from '../../workers/tasks/main.ts'
import { accessConsumer } from '../../workers/runtime/access.ts'
import { WORKERS, type WorkerName } from '../../workers/runtime/config.ts'
import { type Subscription, subscriptionOf } from '../../workers/runtime/consumer.ts'
import { OWN_STREAM } from '../../workers/runtime/nats.ts'
import { followName } from '../../workers/runtime/follow.ts'
import { readbackName } from '../../workers/runtime/replay.ts'
import type { Store } from '../../workers/runtime/store.ts'
import { testContext } from '../../workers/runtime/testing/context.ts'
import type { WorkerDefinition } from '../../workers/runtime/worker.ts'

/** The instance names `make cluster` runs; users.conf as committed grants their consumers too. */
export const CLUSTER_INSTANCES = ['a', 'b'] as const

const DEFINITIONS: Record<WorkerName, () => WorkerDefinition<unknown>> = {
  auth: () => auth() as WorkerDefinition<unknown>,
  tasks: () => tasks() as WorkerDefinition<unknown>,
  billing: () => billing() as WorkerDefinition<unknown>,
  close: () => close() as WorkerDefinition<unknown>,
  analytics: () => analytics() as WorkerDefinition<unknown>,
  audit: () => audit() as WorkerDefinition<unknown>,
}

/** What each worker publishes, and what it may not although the pattern covers it. */
const PUBLISHES: Record<WorkerName, { allow: string[]; deny?: string[]; note: string }> = {
  auth: { allow: ['accounts.>', 'auth.>'], note: 'auth publishes accounts.* and, on its private AUTH stream, its own state (accounts with beak hashes, signing keys), which it alone reads back when it takes over' },
  tasks: { allow: ['tasks.>'], note: 'tasks publishes tasks.*' },
  billing: { allow: ['billing.>'], deny: ['billing.day_close_requested.>'], note: 'billing publishes billing.* except the close command' },
  close: { allow: ['billing.day_close_requested.>', 'close.>', '$JS.API.STREAM.MSG.GET.BILLING'], note: "close publishes billing.day_close_requested and, on its CLOSE stream, the mails it sent; it looks up billing's last day opened" },
  analytics: { allow: ['analytics.>'], note: 'analytics publishes its figures (analytics.*)' },
  audit: { allow: [], note: 'the audit publishes nothing but its dead letters' },
}

/** Every consumer the runtime names for a worker's instance (undefined: no instance name). */
export function consumersOf(worker: WorkerName, instance?: string): Subscription[] {
  const def = DEFINITIONS[worker]()
  const ctx = testContext(worker, def.migrations)
  try {
    const access = def.access ? [] : [accessConsumer(worker, ctx.store as Store<unknown>, instance)]
    const own = (def.consumes?.(ctx) ?? []).map((handlers) => subscriptionOf(worker, handlers, instance))
    // Only the active instance reads its own stream back, under one name for every instance.
    const stream = OWN_STREAM[worker]
    const readback = stream && def.leased !== false && instance === undefined ? [{ stream, filter: '>', durable: readbackName(worker) }] : []
    // A standby that keeps warm reads its own stream and each stream it consumes through one name per instance (runtime/follow.ts).
    const followed = def.follow ? [...new Set([...(stream ? [stream] : []), ...[...access, ...own].map((c) => c.stream)])] : []
    const follow = followed.map((s) => ({ stream: s, filter: '>', durable: followName(worker, instance) }))
    return [...access, ...own, ...readback, ...follow].map(({ stream, filter, durable }) => ({ stream, filter, durable }))
  } finally {
    ctx.store.close()
  }
}

/** Whether the worker holds one lease (the default) or one per instance name. */
const leased = (worker: WorkerName) => DEFINITIONS[worker]().leased !== false

/** Reading the lease and epoch buckets: a key's value, directly or through the stream. */
const KV_READ = ['$JS.API.DIRECT.GET.KV_ates_leases.>', '$JS.API.STREAM.MSG.GET.KV_ates_leases', '$JS.API.DIRECT.GET.KV_ates_epochs.>', '$JS.API.STREAM.MSG.GET.KV_ates_epochs']

const quote = (subject: string) => (subject.startsWith('$') && !subject.includes('.') ? subject : `"${subject}"`)

function consumerSubjects({ stream, durable }: Subscription): string[] {
  return [
    `$JS.API.CONSUMER.*.${stream}.${durable}`,
    `$JS.API.CONSUMER.*.*.${stream}.${durable}`,
    `$JS.API.CONSUMER.CREATE.${stream}.${durable}.>`,
    `$JS.ACK.${stream}.${durable}.>`,
  ]
}

/** A comment wrapped at 96 columns, indented as the users are. */
function wrap(text: string): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > 90) {
      out.push(`    # ${line}`)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) out.push(`    # ${line}`)
  return out
}

function userBlock(worker: WorkerName, instances: readonly string[]): string {
  const job = PUBLISHES[worker]
  const key = leased(worker) ? worker : `${worker}.*`
  const consumers = [undefined, ...instances].flatMap((instance) => consumersOf(worker, instance))
  const unique = [...new Map(consumers.map((c) => [`${c.stream}.${c.durable}`, c])).values()]
  const allow = [
    ...job.allow,
    `dlq.${worker}`,
    '$JS_INFO',
    '$JS_STREAM_INFO',
    ...KV_READ,
    `$KV.ates_leases.${key}`,
    `$KV.ates_epochs.${key}`,
    // A fenced relay looks at what another instance stored in its own stream (runtime/outbox.ts).
    ...(leased(worker) && OWN_STREAM[worker] && !job.allow.includes(`$JS.API.STREAM.MSG.GET.${OWN_STREAM[worker]}`) ? [`$JS.API.STREAM.MSG.GET.${OWN_STREAM[worker]}`] : []),
  ]
  const lines = (subjects: string[]) => subjects.map((s) => `            ${quote(s)},`).join('\n').replace(/,$/, '')
  const reads = [...new Set(unique.map((c) => c.stream))].join(', ') || 'nothing'
  return [
    ...wrap(`${job.note}; it reads ${reads}, through these consumers only: ${unique.map((c) => c.durable).join(', ') || 'none'}.`),
    `    { user: ${worker}, password: $ATES_NATS_PASS_${worker.toUpperCase()}, permissions: {`,
    `        publish: {`,
    `          allow: [`,
    lines([...allow, ...unique.flatMap(consumerSubjects)]),
    `          ]`,
    ...(job.deny ? [`          deny: [ ${job.deny.map(quote).join(', ')} ]`] : []),
    `        }`,
    `        subscribe: { allow: [ "_INBOX_${worker}.>" ] }`,
    `    } }`,
  ].join('\n')
}

/** The whole file, granting the consumers of the unnamed instance and of each of `instances`. */
export function usersConf(instances: readonly string[] = CLUSTER_INSTANCES): string {
  return `# NATS users of aTES, one per worker, each allowed only what its job needs. Written by
# \`make users-conf\` (scripts/lib/users-conf.ts) from the workers' definitions; do not edit by hand.
# Included by every server config here. Passwords come from the environment: \`make up\` /
# \`make cluster\` generate them once per data dir (<ATES_DATA_DIR>/nats-users.json) and hand
# each worker its own as ATES_NATS_USER / ATES_NATS_PASS.
#
# JetStream is driven through request subjects: $JS.API.* for the API, $JS.ACK.<stream>.<consumer>.>
# for acks, and every answer (API replies, publish acks, a consumer's deliveries) comes on the
# connection's inbox. Streams and buckets are provisioned by the \`ops\` user; workers may only
# look at them.
#
# Consumers are granted by name: a worker's durables (runtime/consumer.ts, subscriptionOf:
# <worker>[-<instance>]-<stream>[-<event>]), its account access (runtime/access.ts:
# <worker>[-<instance>]-access), the read of its own stream when it becomes active
# (runtime/replay.ts: <worker>-readback) and, for billing, a standby's reads while it keeps warm
# (runtime/follow.ts: <worker>[-<instance>]-follow). Granted here: the instances without a name and those
# named ${instances.join(', ') || '(none)'}; an instance under another name (ATES_INSTANCE) needs
# \`make users-conf INSTANCES=${[...instances, 'c'].join(',')}\`.
#
# Replies: each worker connects with its own inbox prefix, _INBOX_<worker> (runtime/nats.ts,
# inboxOf), and may subscribe to nothing else, so no worker reads another's replies.
# Leases: every worker reads the lease and epoch buckets (who is active, for a standby's 503)
# and writes only its own keys.

JS_INFO = "$JS.API.INFO"
JS_STREAM_INFO = "$JS.API.STREAM.INFO.*"

authorization {
  users = [
    # Operators and the make targets (provisioning, tail, dlq, replay, reconcile).
    { user: ops, password: $ATES_NATS_PASS_OPS }

${WORKERS.map((worker) => userBlock(worker, instances)).join('\n\n')}
  ]
}
`
}
