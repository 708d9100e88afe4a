// auth's pages: the login form every dashboard sends the browser to, logout, and the
// admin's account management. Plain forms, no JavaScript.
import { Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import type { Child } from 'hono/jsx'
import { CreateAccountBody, UpdateAccountBody } from '../../contracts/http/auth.ts'
import { type AuthEnv, authenticate, authOptions, type Caller, TOKEN_COOKIE } from '../runtime/auth.ts'
import { check, clientAddresses, HttpError } from '../runtime/http.ts'
import { Layout, Page, stylesheet } from '../runtime/views/layout.tsx'
import { isRefusal } from '../runtime/refusal.ts'
import type { Ctx } from '../runtime/worker.ts'
import type { KeyRing } from './adapters/keys.ts'
import { changeAccount, createAccount, type Logins } from './commands.ts'
import { safeReturnTo } from './domain.ts'
import { refusal } from './http.ts'
import { allAccounts } from './queries.ts'
import type { DB } from './store.ts'
import { Table } from '../runtime/views/table.tsx'

const ROLES = ['popug', 'manager', 'accountant', 'admin'] as const

const BARE_STYLE = stylesheet(`body{font:16px/1.45 system-ui,sans-serif;background:#f6f7f9;color:#1d2330;display:flex;justify-content:center;padding:3rem 1rem}
form{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:1.5rem;width:100%;max-width:22rem}
label{display:block;margin:.6rem 0 .2rem}input{font:inherit;width:100%;padding:.4rem .5rem;border:1px solid #c5cad3;border-radius:4px}
button{font:inherit;margin-top:1rem;width:100%;background:#2456c8;color:#fff;border:0;border-radius:4px;padding:.5rem;cursor:pointer}
.error{background:#fef3f2;border:1px solid #fecdca;border-radius:6px;padding:.5rem .7rem}`)

/** A page without the dashboards' frame: the login form. */
function Bare({ title, children }: { title: string; children: Child }) {
  return (
    <Page title={title} style={BARE_STYLE}>
      {children}
    </Page>
  )
}

function LoginPage({ returnTo, email, error }: { returnTo: string; email?: string; error?: string }) {
  return (
    <Bare title="Log in">
      <form method="post" action="/login">
        <h1>aTES</h1>
        <p>Log in with your email and beak.</p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <input type="hidden" name="return_to" value={returnTo} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={email ?? ''} />
        <label for="beak">Beak</label>
        <input id="beak" name="beak" type="password" autocomplete="current-password" required />
        <button type="submit">Log in</button>
      </form>
    </Bare>
  )
}

function text(form: Record<string, string | File | (string | File)[]>, key: string): string | undefined {
  const value = form[key]
  return typeof value === 'string' ? value : undefined
}

export function pageRoutes(ctx: Ctx<DB>, keys: KeyRing, logins: Logins): Hono<AuthEnv> {
  const { config } = ctx
  const origins = Object.values(config.publicUrls)
  const urls = config.publicUrls
  const app = new Hono<AuthEnv>()
  // Sent back only over https when the public URL is https (behind a proxy that ends TLS, too).
  const clientOf = clientAddresses(config.trustedProxies)
  const cookie = { httpOnly: true, sameSite: 'Lax', path: '/', secure: urls.auth.startsWith('https:') } as const

  app.get('/login', (c) => c.html(<LoginPage returnTo={safeReturnTo(c.req.query('return_to'), origins)} />))
  app.post('/login', async (c) => {
    const form = await c.req.parseBody()
    const email = text(form, 'email') ?? ''
    const returnTo = safeReturnTo(text(form, 'return_to'), origins)
    const result = await logins.login(email, text(form, 'beak') ?? '', clientOf(c))
    if (isRefusal(result)) {
      if (result.kind !== 'throttled') return c.html(<LoginPage returnTo={returnTo} email={email} error="Wrong email or beak, or the account is inactive." />, 401)
      const wait = result.retryAfterSeconds < 120 ? `${result.retryAfterSeconds} s` : `${Math.ceil(result.retryAfterSeconds / 60)} min`
      c.header('retry-after', String(result.retryAfterSeconds))
      return c.html(<LoginPage returnTo={returnTo} email={email} error={`Too many failed logins: try again in ${wait}.`} />, 429)
    }
    setCookie(c, TOKEN_COOKIE, result.token, { ...cookie, maxAge: result.expires_in })
    return c.redirect(returnTo, 303)
  })
  app.post('/logout', (c) => {
    deleteCookie(c, TOKEN_COOKIE, cookie)
    return c.redirect('/login', 303)
  })

  const admin = new Hono<AuthEnv>()
  admin.use('*', authenticate({ ...authOptions(ctx), keys: keys.verifyKeys }))
  admin.get('/', (c) => {
    const caller = c.get('caller')
    if (caller.role !== 'admin') return c.html(<NotForYou caller={caller} urls={urls} />, 403)
    return c.html(<AccountsPage caller={caller} urls={urls} notice={c.req.query('notice')} error={c.req.query('error')} />)
  })
  admin.post('/accounts', async (c) => {
    requireAdmin(c.get('caller'))
    const form = await c.req.parseBody()
    const body = { name: text(form, 'name'), email: text(form, 'email'), role: text(form, 'role'), beak: text(form, 'beak') }
    try {
      const result = await createAccount(ctx, check(CreateAccountBody, body, 'account'))
      if (isRefusal(result)) throw refusal(result)
      return c.redirect(`/?notice=${encodeURIComponent(`Created ${result.email} (${result.role}).`)}`, 303)
    } catch (error) {
      if (error instanceof HttpError) return c.redirect(`/?error=${encodeURIComponent(error.message)}`, 303)
      throw error
    }
  })
  admin.post('/accounts/:id', async (c) => {
    requireAdmin(c.get('caller'))
    const form = await c.req.parseBody()
    const active = text(form, 'active')
    const change = {
      ...(text(form, 'role') ? { role: text(form, 'role') } : {}),
      ...(active ? { active: active === 'true' } : {}),
    }
    try {
      const result = changeAccount(ctx, c.req.param('id'), check(UpdateAccountBody, change, 'change'))
      if (isRefusal(result)) throw refusal(result)
      return c.redirect(`/?notice=${encodeURIComponent(`Updated ${result.email}.`)}`, 303)
    } catch (error) {
      if (error instanceof HttpError) return c.redirect(`/?error=${encodeURIComponent(error.message)}`, 303)
      throw error
    }
  })
  app.route('/', admin)
  return app

  function requireAdmin(caller: Caller): void {
    if (caller.role !== 'admin') throw new HttpError(403, 'forbidden', 'only admins manage accounts')
  }

  function NotForYou({ caller, urls }: { caller: Caller; urls: typeof config.publicUrls }) {
    return (
      <Layout title="Accounts" caller={caller} current="auth" urls={urls}>
        <section>
          <p>Account management is for admins. Your dashboards are linked above.</p>
        </section>
      </Layout>
    )
  }

  function AccountsPage(props: { caller: Caller; urls: typeof config.publicUrls; notice?: string | undefined; error?: string | undefined }) {
    const accounts = allAccounts(ctx)
    return (
      <Layout title="Accounts" caller={props.caller} current="auth" urls={props.urls}>
        {props.notice && <p class="notice">{props.notice}</p>}
        {props.error && <p class="notice error">{props.error}</p>}
        <section>
          <h2>Employees ({accounts.length})</h2>
          <Table head={['Name', 'Email', 'Role', 'Status']}>
              {accounts.map((a) => (
                <tr>
                  <td>{a.name}</td>
                  <td>{a.email}</td>
                  <td>
                    <form class="inline" method="post" action={`/accounts/${a.account_id}`}>
                      <select name="role" aria-label={`role of ${a.email}`}>
                        {ROLES.map((r) => (
                          <option value={r} selected={r === a.role}>
                            {r}
                          </option>
                        ))}
                      </select>{' '}
                      <button class="secondary" type="submit">
                        Change
                      </button>
                    </form>
                  </td>
                  <td>
                    <form class="inline" method="post" action={`/accounts/${a.account_id}`}>
                      <input type="hidden" name="active" value={a.active ? 'false' : 'true'} />
                      {a.active ? 'active ' : 'inactive '}
                      <button class="secondary" type="submit">
                        {a.active ? 'Deactivate' : 'Activate'}
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </Table>
        </section>
        <section>
          <h2>New employee</h2>
          <form method="post" action="/accounts">
            <label for="name">Name</label>
            <input id="name" name="name" required maxlength={120} />
            <label for="email">Email</label>
            <input id="email" name="email" type="email" required />
            <label for="role">Role</label>
            <select id="role" name="role">
              {ROLES.map((r) => (
                <option value={r}>{r}</option>
              ))}
            </select>
            <label for="beak">Beak (at least 8 characters)</label>
            <input id="beak" name="beak" type="password" required minlength={8} />
            <p>
              <button type="submit">Create account</button>
            </p>
          </form>
        </section>
      </Layout>
    )
  }
}
