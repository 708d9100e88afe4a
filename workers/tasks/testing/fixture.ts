// What tasks' integration tests share: a real nats-server, a token issuer, the worker on its
// own SQLite file, and accounts published to the ACCOUNTS stream the way auth publishes them.
import { randomUUID } from 'node:crypto'
import type { Role } from '../../runtime/auth.ts'
import { silentLogger } from '../../runtime/log.ts'
import { tempDir, waitFor } from '../../runtime/testing/helpers.ts'
import { type NatsFixture, startNats } from '../../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../../runtime/testing/streams.ts'
import { startTestIssuer, type TestIssuer } from '../../runtime/testing/tokens.ts'
import { type RunningWorker, runWorker } from '../../runtime/worker.ts'
import type { Random } from '../domain.ts'
import { definition } from '../main.ts'
import type { DB } from '../store.ts'

export type Account = { id: string; name: string; role: Role; token: string }

export type TasksFixture = {
  nats: NatsFixture
  streams: TestStreams
  issuer: TestIssuer
  tasks: RunningWorker<DB>
  accounts: Record<string, Account>
  /** Publishes accounts.created (or .updated) for `name`; the same name keeps its id. */
  publishAccount(name: string, role: Role, active?: boolean, event?: 'accounts.created' | 'accounts.updated'): Promise<Account>
  /** Resolves once tasks has handled every event published so far. */
  settled(): Promise<unknown>
  nameOf(id: string): string
  stop(): Promise<void>
}

export async function startTasks(random: Random): Promise<TasksFixture> {
  const dir = tempDir()
  const nats = await startNats()
  const streams = await connectTestStreams(nats.url)
  const issuer = await startTestIssuer()
  const tasks = await runWorker(
    definition({ now: () => new Date(), newId: randomUUID }, random),
    { ATES_NATS_URL: nats.url, ATES_DATA_DIR: dir.path, ATES_TASKS_PORT: '0', ATES_AUTH_URL: issuer.url },
    { log: silentLogger, consumer: { backoffMs: () => 50 } },
  )
  const accounts: Record<string, Account> = {}
  return {
    nats,
    streams,
    issuer,
    tasks,
    accounts,
    async publishAccount(name, role, active = true, event = 'accounts.created') {
      const id = accounts[name]?.id ?? randomUUID()
      await streams.publish(event, { account_id: id, name, email: `${name}@ates.test`, role, active })
      accounts[name] = { id, name, role, token: await issuer.token({ id, role, name }) }
      return accounts[name]
    },
    settled: () => waitFor(async () => (await fetch(`${tasks.url}/readyz?max_lag=0`)).ok, 'tasks caught up'),
    nameOf: (id) => Object.values(accounts).find((a) => a.id === id)!.name,
    async stop() {
      await tasks.stop()
      await issuer.stop()
      await streams.close()
      await nats.stop()
      dir.remove()
    },
  }
}
