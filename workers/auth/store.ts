// auth's own SQLite: accounts (beaks as scrypt hashes, adapters/beak.ts) and the token signing keys.
import type { Role } from '../runtime/auth.ts'
import type { Migration, Store } from '../runtime/store.ts'
import type { Account } from './domain.ts'

export type DB = {
  accounts: {
    account_id: string
    name: string
    email: string
    role: Role
    active: number
    beak_hash: string
    created_at: string
    updated_at: string
    /** When role or activity last changed (ms, the event_time of that accounts.updated); 0: never, or before this was kept. */
    access_changed_at: number
  }
  signing_keys: { kid: string; private_jwk: string; public_jwk: string; created_at: string }
}

export const migrations: Array<Migration<DB>> = [
  {
    name: 'auth_001_accounts_keys',
    up: `
      CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'accountant', 'popug')),
        active INTEGER NOT NULL CHECK (active IN (0, 1)),
        beak_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        private_jwk TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    // The accounts are listed a page at a time in the order they were created.
    name: 'auth_002_accounts_created',
    up: 'CREATE INDEX accounts_created ON accounts (created_at, email)',
  },
  {
    // Tokens issued before an account's role or activity changed stop counting at auth too.
    name: 'auth_003_access_changed_at',
    up: 'ALTER TABLE accounts ADD COLUMN access_changed_at INTEGER NOT NULL DEFAULT 0',
  },
]

type Row = DB['accounts']

export function toAccount(row: Row): Account {
  return { account_id: row.account_id, name: row.name, email: row.email, role: row.role, active: row.active === 1 }
}

export function findByEmail(store: Store<DB>, email: string): Row | undefined {
  return store.first(store.db.selectFrom('accounts').selectAll().where('email', '=', email))
}

export function findById(store: Store<DB>, id: string): Row | undefined {
  return store.first(store.db.selectFrom('accounts').selectAll().where('account_id', '=', id))
}

export function listAccounts(store: Store<DB>): Account[] {
  return store.all(store.db.selectFrom('accounts').selectAll().orderBy('created_at').orderBy('email')).map(toAccount)
}

/** Accounts in the order they were created (email breaks ties), from after a (created_at, email); one more than asked, to tell whether a page follows. */
export function accountsAfter(store: Store<DB>, limit: number, after?: readonly [createdAt: string, email: string]): Row[] {
  return store.limited(after ? accountsPageSql.after : accountsPageSql.first, limit + 1).all(...(after ?? [])) as Row[]
}

/** The statements of accountsAfter, without their limit: a later page seeks its start in accounts_created (a test checks the plan). */
export const accountsPageSql = {
  first: 'SELECT * FROM accounts ORDER BY created_at, email',
  after: 'SELECT * FROM accounts WHERE (created_at, email) > (?, ?) ORDER BY created_at, email',
} as const

export function countAccounts(store: Store<DB>): number {
  return store.first(store.db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0
}

export function insertAccount(store: Store<DB>, account: Account, beakHash: string, at: Date): void {
  store.run(
    store.db.insertInto('accounts').values({
      ...account,
      active: account.active ? 1 : 0,
      beak_hash: beakHash,
      created_at: at.toISOString(),
      updated_at: at.toISOString(),
      // No token of the account is older than the account: nothing has changed yet.
      access_changed_at: 0,
    }),
  )
}

/** Stores a changed account; `accessChanged` when its role or activity changed (its tokens stop counting). */
export function updateAccount(store: Store<DB>, account: Account, at: Date, accessChanged: boolean): void {
  store.run(
    store.db
      .updateTable('accounts')
      .set({
        name: account.name,
        role: account.role,
        active: account.active ? 1 : 0,
        updated_at: at.toISOString(),
        ...(accessChanged ? { access_changed_at: at.getTime() } : {}),
      })
      .where('account_id', '=', account.account_id),
  )
}

/** Replaces an account's beak hash with a stronger one, unless another login replaced it first. */
export function replaceBeakHash(store: Store<DB>, id: string, old: string, beakHash: string): void {
  store.run(store.db.updateTable('accounts').set({ beak_hash: beakHash }).where('account_id', '=', id).where('beak_hash', '=', old))
}

/** The signing keys, newest first. */
export function signingKeys(store: Store<DB>): Array<DB['signing_keys']> {
  return store.all(store.db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc'))
}

export function insertSigningKey(store: Store<DB>, key: DB['signing_keys']): void {
  store.run(store.db.insertInto('signing_keys').values(key).onConflict((oc) => oc.column('kid').doNothing()))
}

/** An account as auth stores it, brought back from the AUTH stream (the newest record wins). */
export function restoreAccount(store: Store<DB>, record: Row): void {
  store.run(
    store.db
      .insertInto('accounts')
      .values(record)
      .onConflict((oc) =>
        oc.column('account_id').doUpdateSet({
          name: record.name,
          email: record.email,
          role: record.role,
          active: record.active,
          beak_hash: record.beak_hash,
          updated_at: record.updated_at,
          access_changed_at: record.access_changed_at,
        }),
      ),
  )
}
