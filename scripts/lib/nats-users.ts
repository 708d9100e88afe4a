// The NATS users of deploy/nats/users.conf: one per worker plus `ops` for the make targets.
// Passwords are generated once per data dir and kept in <ATES_DATA_DIR>/nats-users.json
// (mode 600); the server reads them from ATES_NATS_PASS_<USER>, each worker gets its own
// as ATES_NATS_USER / ATES_NATS_PASS.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Config, WORKERS, type WorkerName } from '../../workers/runtime/config.ts'

export const NATS_USERS = ['ops', ...WORKERS] as const
export type NatsUser = (typeof NATS_USERS)[number]
export type Passwords = Record<NatsUser, string>

const deploy = fileURLToPath(new URL('../../deploy/nats/', import.meta.url))
export const SINGLE_CONFIG = join(deploy, 'single.conf')
export const clusterConfig = (node: number) => join(deploy, 'cluster', `node${node}.conf`)

export function passwordsFile(dataDir: string): string {
  return join(dataDir, 'nats-users.json')
}

/** nats-server parses a variable's value as a config token: a letter first, then hex, stays a string. */
export function generatePasswords(): Passwords {
  return Object.fromEntries(NATS_USERS.map((user) => [user, `pw${randomBytes(16).toString('hex')}`])) as Passwords
}

/** The data dir's passwords, created on first use. */
export function loadOrCreatePasswords(dataDir: string): Passwords {
  const file = passwordsFile(dataDir)
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Passwords>
    const missing = NATS_USERS.filter((user) => typeof stored[user] !== 'string')
    if (missing.length === 0) return stored as Passwords
  }
  const passwords = generatePasswords()
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 })
  return passwords
}

/** What nats-server needs in its environment to resolve users.conf. */
export function serverEnv(passwords: Passwords): Record<string, string> {
  return Object.fromEntries(NATS_USERS.map((user) => [`ATES_NATS_PASS_${user.toUpperCase()}`, passwords[user]]))
}

/** A worker's own credentials. */
export function workerEnv(worker: WorkerName, passwords: Passwords): Record<string, string> {
  return { ATES_NATS_USER: worker, ATES_NATS_PASS: passwords[worker] }
}

/**
 * Credentials for an operator script: ATES_NATS_USER/PASS when given, else `ops` from the
 * data dir's passwords file when it exists (a stack started by make), else none.
 */
export function operatorCredentials(config: Config): { user?: string; pass?: string } {
  if (config.natsUser) return { user: config.natsUser, pass: config.natsPass }
  const file = passwordsFile(config.dataDir)
  if (!existsSync(file)) return {}
  const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Passwords>
  return stored.ops ? { user: 'ops', pass: stored.ops } : {}
}
