// Configuration is environment variables with working defaults (README lists them all).
import { isIP } from 'node:net'
import { resolve } from 'node:path'

export type WorkerName = 'auth' | 'tasks' | 'billing' | 'close' | 'analytics'

export const WORKERS: readonly WorkerName[] = ['auth', 'tasks', 'billing', 'close', 'analytics']

const DEFAULT_PORTS: Record<WorkerName, number> = {
  auth: 3000,
  tasks: 3001,
  billing: 3002,
  analytics: 3003,
  close: 3004,
}

export type Config = {
  natsServers: string[]
  natsUser: string | undefined
  natsPass: string | undefined
  dataDir: string
  streamReplicas: number
  ports: Record<WorkerName, number>
  /** Where each worker's edge is reached by a browser (links, login redirects). */
  publicUrls: Record<WorkerName, string>
  /** Where the workers fetch auth's keys, when not at auth's public URL (inside a container network). */
  authJwksUrl: string | undefined
  tz: string
  closeCron: string
  jwtTtlSeconds: number
  jwtIssuer: string
  jwtAudience: string
  adminEmail: string
  adminBeak: string
  /**
   * Whether auth may run with DEFAULT_ADMIN_BEAK: only where the stack is local and known to be
   * (make up and make cluster set ATES_ALLOW_DEFAULT_ADMIN_BEAK=1); anywhere else auth refuses.
   */
  allowDefaultAdminBeak: boolean
  /**
   * Proxies in front of the edges (addresses or CIDR ranges): only a request from one of them
   * is believed about its client's address (X-Forwarded-For), which login throttling keys on.
   */
  trustedProxies: string[]
  smtpUrl: string | undefined
  logLevel: 'debug' | 'info' | 'warn' | 'error'
}

export type Env = Record<string, string | undefined>

/** The first admin's beak when ATES_ADMIN_BEAK is not set: public, so fit for a laptop only. */
export const DEFAULT_ADMIN_BEAK = 'admin-beak'

export class ConfigError extends Error {}

function integer(env: Env, key: string, fallback: number): number {
  const raw = env[key]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${key} must be a whole number, got "${raw}"`)
  return value
}

/** "3600", "90s", "15m", "8h", "7d" → seconds. */
export function parseDuration(key: string, raw: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw.trim())
  if (!match) throw new ConfigError(`${key} must be a duration like 3600, 15m, 8h or 7d, got "${raw}"`)
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

/** "10.0.0.1, 172.16.0.0/12, ::1" → each an IP address or a CIDR range. */
function proxies(raw: string): string[] {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean)
  for (const entry of list) {
    const [address = '', prefix, extra] = entry.split('/')
    const family = isIP(address)
    const bits = family === 4 ? 32 : 128
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits)
    if (!family || !prefixOk || extra !== undefined) {
      throw new ConfigError(`ATES_TRUSTED_PROXIES must list IP addresses or CIDR ranges (10.0.0.1, 10.0.0.0/8, ::1), got "${entry}"`)
    }
  }
  return list
}

function timeZone(raw: string): string {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: raw })
  } catch {
    throw new ConfigError(`ATES_TZ must be an IANA time zone such as UTC or Europe/Berlin, got "${raw}"`)
  }
  return raw
}

export function loadConfig(env: Env = process.env): Config {
  const ports = {} as Record<WorkerName, number>
  const publicUrls = {} as Record<WorkerName, string>
  for (const worker of WORKERS) {
    const key = `ATES_${worker.toUpperCase()}_PORT`
    ports[worker] = integer(env, key, DEFAULT_PORTS[worker])
    publicUrls[worker] = (env[`ATES_${worker.toUpperCase()}_URL`] ?? `http://localhost:${ports[worker]}`).replace(/\/$/, '')
  }
  const natsUrl = env.ATES_NATS_URL || `nats://127.0.0.1:${integer(env, 'ATES_NATS_PORT', 4222)}`
  const logLevel = env.ATES_LOG_LEVEL ?? 'info'
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`ATES_LOG_LEVEL must be debug, info, warn or error, got "${logLevel}"`)
  }
  return {
    natsServers: natsUrl.split(',').map((s) => s.trim()).filter(Boolean),
    natsUser: env.ATES_NATS_USER || undefined,
    natsPass: env.ATES_NATS_PASS || undefined,
    dataDir: resolve(env.ATES_DATA_DIR || './.data'),
    streamReplicas: integer(env, 'ATES_STREAM_REPLICAS', 1) || 1,
    ports,
    publicUrls,
    authJwksUrl: env.ATES_AUTH_JWKS_URL || undefined,
    tz: timeZone(env.ATES_TZ || 'UTC'),
    closeCron: env.ATES_CLOSE_CRON || '0 0 * * *',
    jwtTtlSeconds: parseDuration('ATES_JWT_TTL', env.ATES_JWT_TTL || '8h'),
    jwtIssuer: env.ATES_JWT_ISSUER || 'ates-auth',
    jwtAudience: env.ATES_JWT_AUDIENCE || 'ates',
    adminEmail: env.ATES_ADMIN_EMAIL || 'admin@ates.local',
    adminBeak: env.ATES_ADMIN_BEAK || DEFAULT_ADMIN_BEAK,
    allowDefaultAdminBeak: env.ATES_ALLOW_DEFAULT_ADMIN_BEAK === '1',
    trustedProxies: proxies(env.ATES_TRUSTED_PROXIES ?? ''),
    smtpUrl: env.ATES_SMTP_URL || undefined,
    logLevel: logLevel as Config['logLevel'],
  }
}
