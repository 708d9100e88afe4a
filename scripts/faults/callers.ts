// Who knocks on the doors of the security matrix: one account per role, logged in through
// auth, and six strangers: no token, a token auth signed that has expired, a token signed
// by a key auth never had, an unsigned token (alg "none") claiming to be an admin, and the
// tokens of two admins logged in before one was deactivated and the other demoted to popug
// (stale: every worker has heard of the change before the matrix runs).
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { importJWK, type JWK, SignJWT } from 'jose'
import type { Role } from '../../workers/runtime/auth.ts'
import { startTestIssuer } from '../../workers/runtime/testing/tokens.ts'
import { ADMIN, api, login, type System } from '../../workers/runtime/testing/system.ts'

export const STRANGERS = ['no token', 'expired', 'foreign key', 'alg none', 'deactivated', 'demoted'] as const
export type Stranger = (typeof STRANGERS)[number]
export const ROLES = ['admin', 'manager', 'accountant', 'popug'] as const
export type Caller = Role | Stranger

export type Person = { id: string; email: string; beak: string; token: string }
export type Cast = Record<Role, Person> & { otherPopug: Person; tokens: Record<Caller, string | undefined> }

export async function castOf(system: System): Promise<Cast> {
  const admin = await login(system.urls.auth, ADMIN.email, ADMIN.beak)
  const adminId = (await api<{ account_id: string }>(`${system.urls.auth}/api/me`, admin)).body.account_id
  const hire = async (name: string, role: Role): Promise<Person> => {
    const email = `${name}@ates.test`
    const beak = `${name}-beak-secret`
    const made = await api<{ account_id: string }>(`${system.urls.auth}/api/accounts`, admin, { body: { name, email, role, beak } })
    if (made.status !== 201) throw new Error(`cannot create ${name}: ${made.status}`)
    return { id: made.body.account_id, email, beak, token: await login(system.urls.auth, email, beak) }
  }
  const cast = {
    admin: { id: adminId, email: ADMIN.email, beak: ADMIN.beak, token: admin },
    manager: await hire('mila', 'manager'),
    accountant: await hire('arno', 'accountant'),
    popug: await hire('pip', 'popug'),
    otherPopug: await hire('kesha', 'popug'),
  }
  const gone = await hire('gone', 'admin')
  const fallen = await hire('fallen', 'admin')
  for (const [who, change] of [[gone, { active: false }], [fallen, { role: 'popug' }]] as const) {
    const changed = await api(`${system.urls.auth}/api/accounts/${who.id}`, admin, { method: 'PATCH', body: change })
    if (changed.status !== 200) throw new Error(`cannot change ${who.email}: ${changed.status}`)
  }
  await system.settled()
  return {
    ...cast,
    tokens: {
      admin,
      manager: cast.manager.token,
      accountant: cast.accountant.token,
      popug: cast.popug.token,
      ...(await strangers(system, adminId)),
      deactivated: gone.token,
      demoted: fallen.token,
    },
  }
}

async function strangers(system: System, adminId: string): Promise<Record<Exclude<Stranger, 'deactivated' | 'demoted'>, string | undefined>> {
  const now = Math.floor(Date.now() / 1000)
  // auth's own signing key, read from its database: a genuine signature, only too old.
  const sqlite = new Database(join(system.dataDir, 'auth.sqlite'), { readonly: true })
  const row = sqlite.prepare('SELECT kid, private_jwk FROM signing_keys ORDER BY created_at DESC').get() as { kid: string; private_jwk: string }
  sqlite.close()
  const expired = await new SignJWT({ role: 'admin', name: 'Administrator' })
    .setProtectedHeader({ alg: 'EdDSA', kid: row.kid })
    .setSubject(adminId)
    .setIssuer('ates-auth')
    .setAudience('ates')
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 60)
    .sign(await importJWK(JSON.parse(row.private_jwk) as JWK, 'EdDSA'))
  const issuer = await startTestIssuer()
  const foreign = await issuer.token({ id: adminId, role: 'admin', name: 'Administrator' })
  await issuer.stop()
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: adminId, role: 'admin', name: 'x', iss: 'ates-auth', aud: 'ates', iat: now, exp: now + 3600 })}.`
  return { 'no token': undefined, expired, 'foreign key': foreign, 'alg none': unsigned }
}

