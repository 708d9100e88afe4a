// Request bodies of auth's HTTP API (SPEC §4).
import Type, { type Static } from 'typebox'
import { Role } from '../common.ts'

export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 })
export const Beak = Type.String({ minLength: 8, maxLength: 200 })
export const AccountName = Type.String({ minLength: 1, maxLength: 120 })

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), beak: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
)
export type LoginBody = Static<typeof LoginBody>

export const CreateAccountBody = Type.Object(
  { name: AccountName, email: Email, role: Role, beak: Beak },
  { additionalProperties: false },
)
export type CreateAccountBody = Static<typeof CreateAccountBody>

export const UpdateAccountBody = Type.Object(
  { name: Type.Optional(AccountName), role: Type.Optional(Role), active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateAccountBody = Static<typeof UpdateAccountBody>
