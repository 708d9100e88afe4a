// Configuration is environment variables with working defaults (README lists them all).
import { isIP } from 'node:net'
import { resolve } from 'node:path'

export type WorkerName = 'auth' | 'tasks' | 'billing' | 'close' | 'analytics' | 'audit'

export const WORKERS: readonly WorkerName[] = ['auth', 'tasks', 'billing', 'close', 'analytics', 'audit']

const DEFAULT_PORTS: Record<WorkerName, number> = {
  auth: 3000,
  tasks: 3001,
  billing: 3002,
  analytics: 3003,
  close: 3004,
  audit: 3005,
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
  /** How old a finding of the audit must be, with the audit caught up, to count as a difference. */
  auditSettleSeconds: number
  /** The audit's CPU niceness (0 to 19): it yields the processor to the workers that move money. */
  auditNice: number
  logLevel: 'debug' | 'info' | 'warn' | 'error'
  /** How long a worker remembers the events it handled (its inbox). */
  inboxKeepSeconds: number
  /** The JetStream storage the server may use (its max_file_store), to warn before it fills. */
  jetstreamMaxBytes: number
  /** This instance of the worker, when several run (durables and the lease carry it). */
  instance: string | undefined
  /** How long the worker's lease lasts without renewal; a standby takes over after it. */
  leaseTtlSeconds: number
  /** Origins whose browser pages may call the JSON API (CORS); none by default. */
  corsOrigins: string[]
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

function niceness(env: Env, key: string, fallback: number): number {
  const value = integer(env, key, fallback)
  if (value > 19) throw new ConfigError(`${key} must be a niceness from 0 (as the other workers) to 19 (the lowest priority), got "${env[key]}"`)
  return value
}

/** "3600", "90s", "15m", "8h", "7d" → seconds. */
export function parseDuration(key: string, raw: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw.trim())
  if (!match) throw new ConfigError(`${key} must be a duration like 3600, 15m, 8h or 7d, got "${raw}"`)
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

/** A lease's holder stops this long before the lease would expire (runtime/lease.ts): room for a slow renewal and clock drift. */
export const LEASE_SAFETY_SECONDS = 2

/** A lease an instance can hold: longer than the safety margin, with a second to spare between renewals. */
function leaseTtl(raw: string): number {
  const seconds = parseDuration('ATES_LEASE_TTL', raw)
  const least = LEASE_SAFETY_SECONDS + 1
  if (seconds < least) {
    throw new ConfigError(`ATES_LEASE_TTL must be at least ${least}s: an instance stops acting ${LEASE_SAFETY_SECONDS} s before its lease would expire, so with "${raw}" no instance would ever be active`)
  }
  return seconds
}

/** "10G", "512M", "1048576" → bytes. */
export function parseBytes(key: string, raw: string): number {
  const match = /^(\d+)\s*([KMGT]?)B?$/i.exec(raw.trim())
  if (!match) throw new ConfigError(`${key} must be a size like 10G, 512M or a number of bytes, got "${raw}"`)
  const unit = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T']
  return Number(match[1]) * unit
}

function instanceName(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined
  if (!/^[a-z0-9]{1,16}$/.test(raw)) throw new ConfigError(`ATES_INSTANCE must be 1 to 16 lower-case letters or digits (it names durable consumers), got "${raw}"`)
  return raw
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

/** "https://a.example, http://localhost:5173" → their origins; anything else is refused. */
function corsOrigins(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((origin) => {
      let url: URL | undefined
      try {
        url = new URL(origin)
      } catch {
        url = undefined
      }
      if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
        throw new ConfigError(`ATES_CORS_ORIGINS must list origins like https://app.example or http://localhost:5173, comma-separated; got "${origin}"`)
      }
      return url.origin
    })
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
    auditSettleSeconds: integer(env, 'ATES_AUDIT_SETTLE_SECONDS', 60),
    auditNice: niceness(env, 'ATES_AUDIT_NICE', 10),
    logLevel: logLevel as Config['logLevel'],
    inboxKeepSeconds: parseDuration('ATES_INBOX_KEEP', env.ATES_INBOX_KEEP || '7d'),
    jetstreamMaxBytes: parseBytes('ATES_JETSTREAM_MAX_BYTES', env.ATES_JETSTREAM_MAX_BYTES || '10G'),
    instance: instanceName(env.ATES_INSTANCE),
    leaseTtlSeconds: leaseTtl(env.ATES_LEASE_TTL || '8s'),
    corsOrigins: corsOrigins(env.ATES_CORS_ORIGINS ?? ''),
  }
}
