// auth's HTTP API (SPEC §4): request bodies, answers, and its operations.
import Type, { type Static } from 'typebox'
import { Role, Uuid } from '../common.ts'
import { ErrorBody, type Operation, type WorkerApi } from './openapi.ts'
import { OPS_OPERATIONS } from './ops.ts'
import { NextCursor, PageQuery } from './paging.ts'

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

export const Account = Type.Object(
  { account_id: Uuid, name: Type.String(), email: Type.String(), role: Role, active: Type.Boolean() },
  { additionalProperties: false },
)
export type Account = Static<typeof Account>

export const LoggedIn = Type.Object(
  {
    token: Type.String({ description: 'send it as Authorization: Bearer <token> to every worker' }),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ minimum: 1, description: 'seconds' }),
    account: Account,
  },
  { additionalProperties: false },
)
export type LoggedIn = Static<typeof LoggedIn>

export const AccountPage = Type.Object(
  { accounts: Type.Array(Account, { description: 'in the order they were created' }), next_cursor: NextCursor },
  { additionalProperties: false },
)
export type AccountPage = Static<typeof AccountPage>

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({ kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: Type.String(), kid: Type.String(), alg: Type.Literal('EdDSA'), use: Type.Literal('sig') }, { additionalProperties: false }),
  ),
})

const AccountId = Type.Object({ id: Type.String({ description: "the account's id" }) })

const LoginForm = Type.Object({ email: Type.String(), beak: Type.String(), return_to: Type.Optional(Type.String()) })
const AccountForm = Type.Object({ name: Type.String(), email: Type.String(), role: Role, beak: Type.String() })
const ChangeForm = Type.Object({ role: Type.Optional(Role), active: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) })

const operations: Operation[] = [
  {
    id: 'login',
    method: 'post',
    path: '/api/login',
    tag: 'login',
    summary: 'Log in: a token for every worker',
    access: 'public',
    body: LoginBody,
    responses: { 200: { description: 'the token and the account', json: LoggedIn } },
    errors: { 401: ['invalid_credentials'], 429: ['throttled'] },
  },
  {
    id: 'me',
    method: 'get',
    path: '/api/me',
    tag: 'accounts',
    summary: 'My account',
    access: 'account',
    responses: { 200: { description: 'the account', json: Account } },
  },
  {
    id: 'listAccounts',
    method: 'get',
    path: '/api/accounts',
    tag: 'accounts',
    summary: 'Every account, a page at a time',
    access: ['admin'],
    query: PageQuery,
    responses: { 200: { description: 'a page of accounts', json: AccountPage } },
    errors: { 422: ['invalid_cursor'] },
  },
  {
    id: 'createAccount',
    method: 'post',
    path: '/api/accounts',
    tag: 'accounts',
    summary: 'Create an account',
    access: ['admin'],
    body: CreateAccountBody,
    responses: { 201: { description: 'the account', json: Account } },
    errors: { 409: ['email_taken'] },
  },
  {
    id: 'updateAccount',
    method: 'patch',
    path: '/api/accounts/:id',
    tag: 'accounts',
    summary: "Change an account's name, role or whether it is active",
    access: ['admin'],
    params: AccountId,
    body: UpdateAccountBody,
    responses: { 200: { description: 'the account as it is now', json: Account } },
    errors: { 404: ['not_found'] },
  },
  {
    id: 'jwks',
    method: 'get',
    path: '/.well-known/jwks.json',
    tag: 'login',
    summary: 'The public keys tokens are signed with',
    access: 'public',
    responses: { 200: { description: 'a JSON Web Key Set', json: Jwks } },
  },
  {
    id: 'loginPage',
    method: 'get',
    path: '/login',
    tag: 'pages',
    summary: 'The login form every dashboard sends a browser to',
    access: 'public',
    query: Type.Object({ return_to: Type.Optional(Type.String({ description: 'an aTES page to go back to' })) }),
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
  {
    id: 'loginForm',
    method: 'post',
    path: '/login',
    tag: 'pages',
    summary: 'Logs in from the form: the token as a cookie',
    access: 'public',
    form: LoginForm,
    responses: {
      303: { description: 'logged in: back to return_to', redirect: true },
      401: { description: 'the form again: wrong email or beak', media: 'text/html' },
      429: { description: 'the form again: too many failed logins', media: 'text/html' },
    },
  },
  {
    id: 'logout',
    method: 'post',
    path: '/logout',
    tag: 'pages',
    summary: 'Forgets the cookie',
    access: 'public',
    responses: { 303: { description: 'to the login page', redirect: true } },
  },
  {
    id: 'accountsPage',
    method: 'get',
    path: '/',
    tag: 'pages',
    summary: 'The accounts page',
    access: ['admin'],
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
  {
    id: 'createAccountForm',
    method: 'post',
    path: '/accounts',
    tag: 'pages',
    summary: "The accounts page's form for a new account",
    access: ['admin'],
    form: AccountForm,
    responses: {
      303: { description: 'back to the accounts page, with what happened', redirect: true },
      403: { description: 'only admins manage accounts', json: ErrorBody(['forbidden']) },
    },
  },
  {
    id: 'changeAccountForm',
    method: 'post',
    path: '/accounts/:id',
    tag: 'pages',
    summary: "The accounts page's buttons that change a role or (de)activate",
    access: ['admin'],
    params: AccountId,
    form: ChangeForm,
    responses: {
      303: { description: 'back to the accounts page, with what happened', redirect: true },
      403: { description: 'only admins manage accounts', json: ErrorBody(['forbidden']) },
    },
  },
]

export const AUTH_API: WorkerApi = {
  worker: 'auth',
  title: 'aTES auth',
  description:
    'Accounts and login. POST /api/login gives a token that every worker takes as `Authorization: Bearer <token>`. Errors look like `{"error": {"code", "message"}}`.',
  operations: [...operations, ...OPS_OPERATIONS],
}
