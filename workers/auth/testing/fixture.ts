// What auth's integration tests share: a real nats-server, the auth worker on its own SQLite
// file, behind 127.0.0.1 named as a trusted proxy (a test says which client a request stands
// for with X-Forwarded-For), and a clock the test may stop and move.
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { silentLogger } from '../../runtime/log.ts'
import { tempDir } from '../../runtime/testing/helpers.ts'
import { freePort, type NatsFixture, startNats } from '../../runtime/testing/nats-server.ts'
import { connectTestStreams, type TestStreams } from '../../runtime/testing/streams.ts'
import { type RunningWorker, runWorker } from '../../runtime/worker.ts'
import { definition } from '../main.ts'
import type { DB } from '../store.ts'

export const ADMIN = { email: 'root@ates.test', beak: 'root-beak-1234' }

export type AuthFixture = Awaited<ReturnType<typeof startAuth>>

export async function startAuth() {
  const dir = tempDir()
  const nats = await startNats()
  const streams = await connectTestStreams(nats.url)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const env = {
    ATES_NATS_URL: nats.url,
    ATES_DATA_DIR: dir.path,
    ATES_AUTH_PORT: String(port),
    ATES_AUTH_URL: url,
    ATES_TASKS_URL: 'http://127.0.0.1:3901',
    ATES_ADMIN_EMAIL: ADMIN.email,
    ATES_ADMIN_BEAK: ADMIN.beak,
    ATES_TRUSTED_PROXIES: '127.0.0.1',
  }
  let stoppedAt: number | undefined
  const start = () => runWorker(definition({ now: () => new Date(stoppedAt ?? Date.now()), newId: randomUUID }), env, { log: silentLogger })
  let auth = await start()

  /** A JSON call, with a bearer token when given. */
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined }
  }
  return {
    url,
    env,
    dataDir: dir.path,
    nats,
    streams,
    worker: () => auth,
    call,
    /** Logs in through the API (asserting it works) and returns the token. */
    async login(email: string, beak: string): Promise<string> {
      const response = await call('POST', '/api/login', { email, beak })
      assert.equal(response.status, 200, JSON.stringify(response.body))
      return response.body.token
    },
    /** An account's stored beak hash, read from auth's SQLite file. */
    beakHashOf(email: string): string {
      const sqlite = new Database(join(dir.path, 'auth.sqlite'), { readonly: true })
      try {
        return (sqlite.prepare('SELECT beak_hash FROM accounts WHERE email = ?').get(email) as { beak_hash: string }).beak_hash
      } finally {
        sqlite.close()
      }
    },
    /** auth's clock: stopped at now, moved while stopped, running again. */
    clock: {
      stop: () => {
        stoppedAt = Date.now()
      },
      move: (ms: number) => {
        if (stoppedAt === undefined) throw new Error('stop the clock first')
        stoppedAt += ms
      },
      run: () => {
        stoppedAt = undefined
      },
    },
    async restart() {
      await auth.stop()
      auth = await start()
    },
    async stop() {
      await auth.stop()
      await streams.close()
      await nats.stop()
      dir.remove()
    },
  }
}
