// `make tail [SUBJECT='tasks.>'] [FROM=start]`: live events, one readable line each. It says
// where it connects on stderr, and gives up with a clear message when nothing answers there.
import { DeliverPolicy, jetstream } from '@nats-io/jetstream'
import { isEventName } from '../contracts/registry.ts'
import { loadConfig } from '../workers/runtime/config.ts'
import { manager, STREAMS, type StreamName } from '../workers/runtime/nats.ts'
import { connectWithin, destination } from './lib/connect.ts'
import { eventLine } from './lib/event-line.ts'

const [asked = '>', from = 'new'] = process.argv.slice(2)
const config = loadConfig()

/** An event's name without a version (`tasks.created`) stands for every version of it. */
function filterOf(subject: string): string {
  return isEventName(subject) ? `${subject}.*` : subject
}

/** The streams a subject filter can match, by their first token. */
function streamsFor(filter: string): StreamName[] {
  const first = filter.split('.')[0]!
  return (Object.keys(STREAMS) as StreamName[]).filter((name) =>
    STREAMS[name].subjects.some((pattern) => first === '>' || first === '*' || pattern.split('.')[0] === first),
  )
}

function fail(message: string): never {
  process.stderr.write(`make tail: ${message}\n`)
  process.exit(1)
}

const subject = filterOf(asked)
const streams = streamsFor(subject)
if (streams.length === 0) fail(`no stream holds ${asked}; streams: ${Object.values(STREAMS).flatMap((s) => s.subjects).join(', ')}`)
process.stderr.write(`connecting to ${destination(config)}, subject ${subject}${subject !== asked ? ` (every version of ${asked})` : ''}\n`)
const nc = await connectWithin(config, 'ates-tail').catch((error: Error) => fail(error.message))
const js = jetstream(nc)
await manager(nc).catch((error: Error) => fail(`connected, but JetStream does not answer: ${error.message}`))
process.stderr.write(`tailing ${subject} on ${streams.join(', ')}${from === 'start' ? ' from the start' : ''} — Ctrl-C stops\n`)
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
).catch((error: Error) => fail(`reading ${streams.join(', ')}: ${error.message}`))
