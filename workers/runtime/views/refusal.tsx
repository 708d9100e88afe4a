// A person who opens a page they may not see, or a page with a bad query, gets a page that
// says so (with the same status code) instead of the API's JSON error.
import { createMiddleware } from 'hono/factory'
import type { MiddlewareHandler } from 'hono'
import type { AuthEnv } from '../auth.ts'
import { HttpError } from '../http.ts'
import { type Dashboard, dashboardsFor, labelOf, Layout, type LayoutProps } from './layout.tsx'

const TITLES: Record<number, string> = { 403: 'not for your role', 404: 'not found', 422: 'that did not work' }

/** Use after authenticate(): HttpErrors of pages (not of /api/ routes) become pages. */
export function refusalPages(current: Dashboard, urls: LayoutProps['urls']): MiddlewareHandler<AuthEnv> {
  return createMiddleware<AuthEnv>(async (c, next) => {
    await next()
    const error = c.error
    if (!(error instanceof HttpError) || c.req.path.startsWith('/api/')) return
    const caller = c.get('caller')
    const mayOpen = dashboardsFor(caller.role).includes(current)
    c.res = await c.html(
      <Layout title={`${labelOf(current)}: ${TITLES[error.status] ?? 'that did not work'}`} caller={caller} current={current} urls={urls}>
        <section>
          <p class="notice error" role="alert">
            {capitalized(error.message)}.
          </p>
          <p>
            {mayOpen ? <a href={`${urls[current]}/`}>Back to {labelOf(current)}</a> : 'The dashboards you may open are linked above.'}
          </p>
        </section>
      </Layout>,
      error.status,
    )
  })
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)
