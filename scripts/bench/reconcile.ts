// `make reconcile` on the streams the scenarios before it filled (≥ 1M events at full size):
// the audit in one pass, without its worker, timed from the first read to the report. It must
// find no difference, and neither may the audit worker, which has been judging all along.
import { reconcile as reconcileStreams } from '../lib/reconcile.ts'
import type { Row } from './report.ts'
import { progress } from './report.ts'
import { call, check, type World } from './world.ts'

export async function reconcile(world: World, rawConsumeRate: number): Promise<Row[]> {
  await world.system.settled(30 * 60_000)
  progress('reconcile: one pass of the audit over TASKS, BILLING and ANALYTICS')
  let shown = 0
  const started = performance.now()
  const report = await reconcileStreams({
    servers: world.system.natsServers,
    credentials: {},
    settleSeconds: 0,
    onProgress: ({ stream, read, stored, done }) => {
      if (!done && performance.now() - shown < 3000) return
      shown = performance.now()
      progress(`  reading ${stream}: ${read.toLocaleString('en-US')} of ${stored.toLocaleString('en-US')} events`)
    },
  })
  const seconds = (performance.now() - started) / 1000
  const events = Object.values(report.stored).reduce((a, b) => a + b, 0)
  check(report.total === 0, `make reconcile finds no difference (found ${report.total}: ${report.differences.slice(0, 3).map((d) => d.message).join('; ')})`)
  const worker = await call<{ total: number }>(`${world.system.urls.audit}/api/differences`, world.admin)
  check(worker.total === 0, `the audit worker reports no difference (it reports ${worker.total})`)
  progress(`reconcile: ${events.toLocaleString('en-US')} events, ${report.tasks.toLocaleString('en-US')} tasks, ${report.entries.toLocaleString('en-US')} entries in ${seconds.toFixed(1)} s`)
  return [
    {
      figure: `make reconcile, ${events.toLocaleString('en-US')} events`,
      unit: 'events/s',
      value: events / seconds,
      baseline: { name: 'raw consume', value: rawConsumeRate },
      details: { events, seconds, tasks: report.tasks, accounts: report.accounts, entries: report.entries, cents: report.cents },
    },
  ]
}
