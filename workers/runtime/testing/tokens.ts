// A stand-in token issuer for tests of one worker: signs JWTs like auth does and serves
// its JWKS over real HTTP. End-to-end tests use the real auth worker instead.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { randomUUID } from 'node:crypto'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { JWT_ALGORITHM, type Role } from '../auth.ts'

export type TestIssuer = {
  url: string
  jwksUrl: string
  issuer: string
  audience: string
  /** A token for an account; options bend it for refusal tests. */
  token(account: { id?: string; role: Role; name?: string }, options?: { expiresIn?: string | number; audience?: string }): Promise<string>
  stop(): Promise<void>
}

export async function startTestIssuer(issuer = 'ates-auth', audience = 'ates'): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair(JWT_ALGORITHM, { crv: 'Ed25519', extractable: true })
  const kid = randomUUID()
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALGORITHM, use: 'sig' }
  const app = new Hono()
  app.get('/.well-known/jwks.json', (c) => c.json({ keys: [jwk] }))
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server))
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    issuer,
    audience,
    token: (account, options = {}) =>
      new SignJWT({ role: account.role, name: account.name ?? account.role })
        .setProtectedHeader({ alg: JWT_ALGORITHM, kid })
        .setSubject(account.id ?? randomUUID())
        .setIssuer(issuer)
        .setAudience(options.audience ?? audience)
        // To the millisecond, as auth issues them (access.ts compares it with account changes).
        .setIssuedAt(Date.now() / 1000)
        .setExpirationTime(options.expiresIn ?? '1h')
        .sign(privateKey),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
