// `make stream-report`: per stream its messages, bytes and first and last sequence, and per
// consumer its lag (num_pending), pending acks and redeliveries (scripts/lib/stream-report.ts).
import { loadConfig } from '../workers/runtime/config.ts'
import { manager } from '../workers/runtime/nats.ts'
import { connectWithin, destination } from './lib/connect.ts'
import { formatReport, streamReport } from './lib/stream-report.ts'

const config = loadConfig()
process.stderr.write(`connecting to ${destination(config)}\n`)
try {
  const nc = await connectWithin(config, 'ates-stream-report')
  try {
    process.stdout.write(formatReport(await streamReport(await manager(nc))))
  } finally {
    await nc.close()
  }
} catch (error) {
  process.stderr.write(`make stream-report: ${(error as Error).message}\n`)
  process.exit(1)
}
