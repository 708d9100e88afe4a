// The frame every dashboard shares: navigation to the dashboards the role may open,
// who is logged in, logout. Plain HTML that works without JavaScript and on a phone.
import { createHash } from 'node:crypto'
import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import type { Caller, Role } from '../auth.ts'

export type Dashboard = 'tasks' | 'billing' | 'analytics' | 'close' | 'audit' | 'auth'

const DASHBOARDS: Array<{ id: Dashboard; label: string; roles: Role[] }> = [
  { id: 'tasks', label: 'Tasks', roles: ['admin', 'manager', 'accountant', 'popug'] },
  { id: 'billing', label: 'Accounting', roles: ['admin', 'manager', 'accountant', 'popug'] },
  { id: 'analytics', label: 'Analytics', roles: ['admin'] },
  { id: 'close', label: 'Day close', roles: ['admin'] },
  { id: 'audit', label: 'Audit', roles: ['admin', 'accountant'] },
  { id: 'auth', label: 'Accounts', roles: ['admin'] },
]

export function labelOf(dashboard: Dashboard): string {
  return DASHBOARDS.find((d) => d.id === dashboard)!.label
}

export function dashboardsFor(role: Role): Dashboard[] {
  return DASHBOARDS.filter((d) => d.roles.includes(role)).map((d) => d.id)
}

/** A style sheet a page carries in its <style>, written as is (raw): a browser does not unescape text there, so `>` must stay `>`. */
export type Stylesheet = { readonly css: string }

const styleHashes = new Set<string>()

/**
 * A style sheet for Page. Its hash joins every page's Content-Security-Policy (styleSources):
 * the pages' own style sheets apply, a <style> or style="" injected into a page does not.
 * Made once, where a module is loaded, before any page is served.
 */
export function stylesheet(css: string): Stylesheet {
  styleHashes.add(`'sha256-${createHash('sha256').update(css).digest('base64')}'`)
  return { css }
}

/** The CSP sources of every style sheet made so far. */
export function styleSources(): string[] {
  return [...styleHashes]
}

const STYLE = stylesheet(`
*{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1d2330;background:#f6f7f9}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#1d2330;color:#fff}
header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}header a{color:#cfd8ea;text-decoration:none}header a[aria-current=page]{color:#fff;font-weight:600;border-bottom:2px solid #7fb3ff}
header .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;font-size:.9rem}
header form{margin:0}header button{background:none;border:1px solid #6b7690;color:#fff;border-radius:4px;padding:.15rem .6rem;cursor:pointer}
main{max-width:980px;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:1rem;margin-bottom:1rem;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-size:.85rem;color:#5b6475;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.neg{color:#b42318}.pos{color:#067647}.muted{color:#6b7280;font-size:.9rem}
form.inline{display:inline}label{display:block;margin:.4rem 0 .15rem;font-size:.9rem}label.inline{display:inline-block;margin:0 .5rem 0 0}
section>h2:first-child{margin-top:0}.nowrap,td.num{white-space:nowrap}form.pick{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin-bottom:1rem}
tr.current td{background:#eef4ff}svg.chart{display:block;width:100%;max-width:640px;height:auto;margin-bottom:.5rem}
input,select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #c5cad3;border-radius:4px;max-width:100%}
textarea{width:100%}button,.button{font:inherit;background:#2456c8;color:#fff;border:0;border-radius:4px;padding:.4rem .9rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#e8ecf4;color:#1d2330}.stats{display:flex;flex-wrap:wrap;gap:1rem}.stat{flex:1 1 10rem}
.stat b{display:block;font-size:1.5rem}.notice{padding:.6rem .8rem;border-radius:6px;background:#eef4ff;border:1px solid #c7d7fe;margin-bottom:1rem}
.error{background:#fef3f2;border-color:#fecdca}
input.wide{width:100%}
@media (max-width:600px){main{padding:.5rem}section{padding:.6rem}table{font-size:.85rem}th,td{padding:.3rem .25rem}}
`)

export type LayoutProps = {
  title: string
  caller: Caller
  current: Dashboard
  /** Public base URLs of the workers, for navigation and logout. */
  urls: Record<Dashboard, string>
  children?: Child
}

/** A whole page: its title and style in the head, then the body. */
export function Page({ title, style, children }: { title: string; style: Stylesheet; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · aTES`}</title>
        <style>{raw(style.css)}</style>
      </head>
      <body>{children}</body>
    </html>
  )
}

export function Layout({ title, caller, current, urls, children }: LayoutProps) {
  return (
    <Page title={title} style={STYLE}>
        <header>
          <strong>aTES</strong>
          <nav>
            {DASHBOARDS.filter((d) => d.roles.includes(caller.role)).map((d) => (
              <a href={`${urls[d.id]}/`} aria-current={d.id === current ? 'page' : undefined}>
                {d.label}
              </a>
            ))}
          </nav>
          <div class="who">
            <span>
              {caller.name} <span class="muted">({caller.role})</span>
            </span>
            <form method="post" action={`${urls.auth}/logout`}>
              <button type="submit">Log out</button>
            </form>
          </div>
        </header>
        <main>
          <h1>{title}</h1>
          {children}
        </main>
    </Page>
  )
}
