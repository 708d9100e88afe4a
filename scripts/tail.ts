// `make tail [SUBJECT='tasks.>'] [FROM=start]`: live events, one readable line each.
import { DeliverPolicy, jetstream } from '@nats-io/jetstream'
import { loadConfig } from '../workers/runtime/config.ts'
import { connectNats, manager, STREAMS, type StreamName } from '../workers/runtime/nats.ts'
import { eventLine } from './lib/event-line.ts'
import { operatorCredentials } from './lib/nats-users.ts'

const [subject = '>', from = 'new'] = process.argv.slice(2)
const config = loadConfig()

/** The streams a subject filter can match, by their first token. */
function streamsFor(filter: string): StreamName[] {
  const first = filter.split('.')[0]!
  return (Object.keys(STREAMS) as StreamName[]).filter((name) =>
    STREAMS[name].subjects.some((pattern) => first === '>' || first === '*' || pattern.split('.')[0] === first),
  )
}

const streams = streamsFor(subject)
if (streams.length === 0) {
  console.error(`no stream holds ${subject}; streams: ${Object.values(STREAMS).flatMap((s) => s.subjects).join(', ')}`)
  process.exit(1)
}
const nc = await connectNats({ servers: config.natsServers, name: 'ates-tail', ...operatorCredentials(config) })
const js = jetstream(nc)
await manager(nc)
console.error(`tailing ${subject} on ${streams.join(', ')}${from === 'start' ? ' from the start' : ''} — Ctrl-C stops`)
const stop = () => void nc.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

await Promise.all(
  streams.map(async (stream) => {
    const consumer = await js.consumers.get(stream, {
      deliver_policy: from === 'start' ? DeliverPolicy.All : DeliverPolicy.New,
      ...(subject.split('.')[0] === '>' ? {} : { filter_subjects: subject }),
    })
    for await (const msg of await consumer.consume()) {
      const reason = msg.headers?.get('Ates-Dlq-Reason')
      process.stdout.write(`${eventLine(msg.subject, msg.string(), msg.time)}${reason ? `  reason=${JSON.stringify(reason)}` : ''}\n`)
    }
  }),
)
