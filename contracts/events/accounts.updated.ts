import { AccountSnapshot } from './accounts.created.ts'

/** CUD: the full snapshot after a change of name, role or activity. */
export const AccountsUpdatedV1 = AccountSnapshot
