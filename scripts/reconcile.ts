// `make reconcile`: a full pass of the audit over the streams, without the audit worker, as the
// `ops` user (like make tail). A progress line while it reads, a report at the end; exit 1 on
// any difference.
import { loadConfig } from '../workers/runtime/config.ts'
import { operatorCredentials } from './lib/nats-users.ts'
import { reconcile, reportLines } from './lib/reconcile.ts'

const config = loadConfig()
const live = process.stderr.isTTY === true
let shown = 0
try {
  const report = await reconcile({
    servers: config.natsServers,
    credentials: operatorCredentials(config),
    settleSeconds: config.auditSettleSeconds,
    onProgress: ({ stream, read, stored, done }) => {
      // On a terminal the line is redrawn; in a log, a line every few seconds and at each stream's end.
      if (!live && !done && Date.now() - shown < 5000) return
      shown = Date.now()
      const line = `reading ${stream}: ${read} of ${stored} events${stored ? ` (${Math.floor((read / stored) * 100)}%)` : ''}`
      process.stderr.write(live ? `\r\x1b[K${line}${done ? '\n' : ''}` : `${line}\n`)
    },
  })
  for (const line of reportLines(report)) console.log(line)
  if (report.total > 0) process.exitCode = 1
} catch (error) {
  console.error(`reconcile failed: ${(error as Error).message}`)
  process.exitCode = 1
}
