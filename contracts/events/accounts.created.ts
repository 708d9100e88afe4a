import Type from 'typebox'
import { Role, Uuid } from '../common.ts'

/** CUD: the full snapshot of an account, as auth holds it. */
export const AccountSnapshot = Type.Object(
  {
    account_id: Uuid,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ minLength: 3, maxLength: 320 }),
    role: Role,
    active: Type.Boolean(),
  },
  { additionalProperties: false },
)

export const AccountsCreatedV1 = AccountSnapshot
