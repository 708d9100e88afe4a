import Type from 'typebox'
import { Role, Timestamp, Uuid } from '../common.ts'

/**
 * auth's own state, for an auth instance taking over (never for other workers: only auth's
 * NATS user may read the AUTH stream). An account as auth stores it, its beak hash included.
 */
export const AuthAccountSavedV1 = Type.Object(
  {
    account_id: Uuid,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ minLength: 3, maxLength: 320 }),
    role: Role,
    active: Type.Boolean(),
    beak_hash: Type.String({ minLength: 1, maxLength: 1000 }),
    created_at: Timestamp,
    updated_at: Timestamp,
    /**
     * When the account's role or activity last changed (ms since the epoch, auth's clock): its
     * tokens issued before stop counting. Absent in accounts saved before it was kept.
     */
    access_changed_at: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)

/** A token signing key auth made: its private and public halves as JWK (JSON text). */
export const AuthSigningKeyAddedV1 = Type.Object(
  {
    kid: Type.String({ minLength: 1, maxLength: 100 }),
    private_jwk: Type.String({ minLength: 1, maxLength: 10_000 }),
    public_jwk: Type.String({ minLength: 1, maxLength: 10_000 }),
    created_at: Timestamp,
  },
  { additionalProperties: false },
)
