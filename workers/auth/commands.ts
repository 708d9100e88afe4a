// auth's commands: each change to an account and its accounts.* event in one transaction,
// and logging in.
import type { CreateAccountBody } from '../../contracts/http/auth.ts'
import { type Config, ConfigError, DEFAULT_ADMIN_BEAK } from '../runtime/config.ts'
import type { Ctx } from '../runtime/worker.ts'
import { DUMMY_HASH, hashBeak, needsRehash, verifyBeak } from './adapters/beak.ts'
import type { KeyRing } from './adapters/keys.ts'
import { Lru } from '../runtime/lru.ts'
import {
  type Account,
  type AccountChange,
  afterFailure,
  applyChange,
  changesAccess,
  clientKey,
  type Failures,
  loginGate,
  normalizeEmail,
  type Refusal,
  THROTTLES,
} from './domain.ts'
import { isRefusal } from '../runtime/refusal.ts'
import { countAccounts, type DB, findByEmail, findById, insertAccount, replaceBeakHash, toAccount, updateAccount } from './store.ts'

export async function createAccount(ctx: Ctx<DB>, body: CreateAccountBody): Promise<Account | Refusal> {
  const email = normalizeEmail(body.email)
  const beakHash = await hashBeak(body.beak)
  return ctx.store.tx(() => {
    if (findByEmail(ctx.store, email)) return { kind: 'email_taken' } as const
    const account: Account = { account_id: ctx.newId(), name: body.name.trim(), email, role: body.role, active: true }
    const at = ctx.now()
    insertAccount(ctx.store, account, beakHash, at)
    ctx.outbox.emit('accounts.created', account, { time: at })
    recordPrivately(ctx, account.account_id)
    return account
  })
}

/**
 * The account as auth now stores it (beak hash included) goes to the AUTH stream, which only
 * auth may read: an auth instance taking over brings it back. Call it in the change's transaction.
 */
export function recordPrivately(ctx: Ctx<DB>, accountId: string): void {
  const row = findById(ctx.store, accountId)!
  ctx.outbox.emit('auth.account_saved', {
    ...toAccount(row),
    beak_hash: row.beak_hash,
    created_at: row.created_at,
    updated_at: row.updated_at,
    access_changed_at: row.access_changed_at,
  })
}

/** A beak's new hash, kept on the AUTH stream too: an auth instance taking over must know it. */
function rehash(ctx: Ctx<DB>, accountId: string, old: string, beakHash: string): void {
  ctx.store.tx(() => {
    replaceBeakHash(ctx.store, accountId, old, beakHash)
    recordPrivately(ctx, accountId)
  })
}

/** Applies a change; an account that would not change emits nothing. */
export function changeAccount(ctx: Ctx<DB>, id: string, change: AccountChange): Account | Refusal {
  return ctx.store.tx(() => {
    const row = findById(ctx.store, id)
    if (!row) return { kind: 'not_found' } as const
    const current = toAccount(row)
    const next = applyChange(current, { ...change, name: change.name?.trim() })
    if (!next) return current
    // One instant for the row and the event: the other workers refuse tokens issued before the
    // event's time, auth before the row's, and both must draw the line at the same moment.
    const at = ctx.now()
    updateAccount(ctx.store, next, at, changesAccess(current, next))
    ctx.outbox.emit('accounts.updated', next, { time: at })
    recordPrivately(ctx, next.account_id)
    return next
  })
}

export type AdminBootstrap = { created?: Account; replacedDefaultBeak?: boolean }

/**
 * At every start: the first start creates the admin from ATES_ADMIN_EMAIL / ATES_ADMIN_BEAK;
 * later ones make sure that admin no longer logs in with the public default beak. The default
 * is accepted only with ATES_ALLOW_DEFAULT_ADMIN_BEAK=1 (make up, make cluster); elsewhere auth
 * refuses to start, or, when ATES_ADMIN_BEAK is given, replaces the default with it.
 */
export async function bootstrapAdmin(ctx: Ctx<DB>): Promise<AdminBootstrap> {
  const { adminEmail, adminBeak, allowDefaultAdminBeak } = ctx.config
  const defaultBeak = adminBeak === DEFAULT_ADMIN_BEAK
  if (countAccounts(ctx.store) === 0) {
    if (defaultBeak && !allowDefaultAdminBeak) {
      throw new ConfigError(`set ATES_ADMIN_BEAK: the first admin (${adminEmail}) would get the public default beak`)
    }
    const created = await createAccount(ctx, { name: 'Administrator', email: adminEmail, role: 'admin', beak: adminBeak })
    return isRefusal(created) ? {} : { created }
  }
  if (defaultBeak && allowDefaultAdminBeak) return {}
  const admin = findByEmail(ctx.store, normalizeEmail(adminEmail))
  if (!admin || !(await verifyBeak(DEFAULT_ADMIN_BEAK, admin.beak_hash))) return {}
  if (defaultBeak) throw new ConfigError(`set ATES_ADMIN_BEAK: ${adminEmail} still logs in with the public default beak, and it will replace it`)
  rehash(ctx, admin.account_id, admin.beak_hash, await hashBeak(adminBeak))
  return { replacedDefaultBeak: true }
}

export type LoginResult = { token: string; token_type: 'Bearer'; expires_in: number; account: Account }

/** How many clients, accounts and (account, client) pairs the throttle remembers, each. */
const REMEMBERED = 20_000

/**
 * Checks credentials, throttled per client address and per account (domain.ts); every wrong
 * answer looks the same, whether the account exists or not.
 */
export class Logins {
  private readonly clients = new Lru<string, Failures>(REMEMBERED)
  private readonly accounts = new Lru<string, Failures>(REMEMBERED)
  /** When a login to an account last succeeded from a client, by `${email} ${client}`. */
  private readonly known = new Lru<string, number>(REMEMBERED)

  constructor(
    private readonly ctx: Ctx<DB>,
    private readonly keys: KeyRing,
    private readonly config: Pick<Config, 'jwtIssuer' | 'jwtAudience' | 'jwtTtlSeconds'>,
  ) {}

  /** `address`: the client's address as the edge sees it (runtime clientAddress). */
  async login(rawEmail: string, beak: string, address: string): Promise<LoginResult | Refusal> {
    const email = normalizeEmail(rawEmail)
    const client = clientKey(address)
    const pair = `${email} ${client}`
    const now = this.ctx.now().getTime()
    const failures = { client: this.clients.get(client), account: this.accounts.get(email) }
    const gate = loginGate({ ...failures, knownSince: this.known.get(pair) }, now)
    if (!gate.allowed) return { kind: 'throttled', retryAfterSeconds: gate.retryAfterSeconds }
    // Counted as a failure before the beak is checked, which takes a while: attempts sent all at
    // once would otherwise all pass the gate. A success takes it back.
    this.clients.set(client, afterFailure(failures.client, THROTTLES.client, now))
    this.accounts.set(email, afterFailure(failures.account, THROTTLES.account, now))
    const found = findByEmail(this.ctx.store, email)
    const beakOk = await verifyBeak(beak, found?.beak_hash ?? DUMMY_HASH)
    // Read again after the hash: an admin may have changed the account meanwhile, and the token
    // must carry the role it has when the token is issued.
    const row = found && findById(this.ctx.store, found.account_id)
    if (!row || !beakOk || row.active !== 1) return { kind: 'invalid_credentials' }
    // Only this attempt is taken back: a success neither wipes a stranger's failures on the
    // account nor lets a sprayer with one valid account start over.
    takeBack(this.clients, client)
    takeBack(this.accounts, email)
    this.known.set(pair, now)
    // The beak is known right now, and only now: a hash made at a lower cost is replaced.
    if (needsRehash(row.beak_hash)) rehash(this.ctx, row.account_id, row.beak_hash, await hashBeak(beak))
    const account = toAccount(row)
    const token = await this.keys.sign(account, {
      issuer: this.config.jwtIssuer,
      audience: this.config.jwtAudience,
      now: this.ctx.now(),
      ttlSeconds: this.config.jwtTtlSeconds,
    })
    return { token, token_type: 'Bearer', expires_in: this.config.jwtTtlSeconds, account }
  }
}

function takeBack(failures: Lru<string, Failures>, key: string): void {
  const counted = failures.get(key)
  if (counted && counted.count > 1) failures.set(key, { ...counted, count: counted.count - 1 })
  else failures.delete(key)
}
