// The token signing keys: Ed25519, kept in auth's SQLite so a restart logs nobody out.
// The public halves are served as the JWKS the other workers verify tokens with.
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey, SignJWT } from 'jose'
import { JWT_ALGORITHM } from '../../runtime/auth.ts'
import type { Store } from '../../runtime/store.ts'
import type { Account } from '../domain.ts'
import { type DB, signingKeys } from '../store.ts'

export type KeyRing = {
  jwks: { keys: JWK[] }
  verifyKeys: JWTVerifyGetKey
  sign(account: Account, claims: { issuer: string; audience: string; now: Date; ttlSeconds: number }): Promise<string>
}

/** Loads the newest signing key, creating one on the first start (`save` stores it and tells the AUTH stream). */
export async function loadKeyRing(store: Store<DB>, kidFor: () => string, now: () => Date, save: (key: DB['signing_keys']) => void): Promise<KeyRing> {
  let rows = signingKeys(store)
  if (rows.length === 0) {
    const { publicKey, privateKey } = await generateKeyPair(JWT_ALGORITHM, { crv: 'Ed25519', extractable: true })
    const kid = kidFor()
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALGORITHM, use: 'sig' }
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: JWT_ALGORITHM }
    save({ kid, private_jwk: JSON.stringify(privateJwk), public_jwk: JSON.stringify(publicJwk), created_at: now().toISOString() })
    rows = signingKeys(store)
  }
  const current = rows[0]!
  const privateKey = await importJWK(JSON.parse(current.private_jwk) as JWK, JWT_ALGORITHM)
  const jwks = { keys: rows.map((row) => JSON.parse(row.public_jwk) as JWK) }
  return {
    jwks,
    verifyKeys: createLocalJWKSet(jwks),
    sign: (account, { issuer, audience, now: at, ttlSeconds }) => {
      // iat to the millisecond (a NumericDate may have a fraction): a token is compared with the
      // moment its account last changed, and a second is long enough for a change and a login.
      return new SignJWT({ role: account.role, name: account.name })
        .setProtectedHeader({ alg: JWT_ALGORITHM, kid: current.kid, typ: 'JWT' })
        .setSubject(account.account_id)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(at.getTime() / 1000)
        .setExpirationTime(Math.floor(at.getTime() / 1000) + ttlSeconds)
        .sign(privateKey)
    },
  }
}
