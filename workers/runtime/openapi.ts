// A worker's OpenAPI document (generated from contracts/http at start) and its API reference
// page: Swagger UI, served from the npm package that ships it, so the page needs nothing from
// another host. Every script is a same-origin file (no inline script), and the page carries its
// own Content-Security-Policy that allows only those.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'
import { openApiDocument, type WorkerApi } from '../../contracts/http/openapi.ts'
import { REFERENCE_ASSETS } from '../../contracts/http/ops.ts'
import { errorBody } from './http.ts'

const viewerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

/** Swagger UI styles its parts through the DOM (allowed); its icons are data: URLs in its style sheet. */
export const REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

/** Starts the viewer on this worker's document; "Try it out" calls this worker. */
const START = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
  displayRequestDuration: true,
})
`

function page(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}: API reference</title>
<link rel="stylesheet" href="/api-docs/swagger-ui.css">
<link rel="icon" type="image/png" href="/api-docs/favicon-32x32.png">
</head>
<body>
<div id="reference"></div>
<script src="/api-docs/swagger-ui-bundle.js"></script>
<script src="/api-docs/start.js"></script>
</body>
</html>
`
}

const HEADERS = { 'content-security-policy': REFERENCE_CSP, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' }

/** GET /openapi.json, GET /api-docs and the page's files, for anyone: they describe the API, they are not it. */
export function referenceRoutes(api: WorkerApi, selfUrl: string): Hono {
  const document = JSON.stringify(openApiDocument(api, selfUrl))
  const html = page(api.title)
  const app = new Hono()
  app.get('/openapi.json', (c) => c.body(document, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }))
  app.get('/api-docs', (c) => c.html(html, 200, HEADERS))
  app.get('/api-docs/:file', async (c) => {
    const file = c.req.param('file')
    if (file === 'start.js') return c.body(START, 200, { ...HEADERS, 'content-type': 'text/javascript; charset=utf-8' })
    if (!Object.hasOwn(REFERENCE_ASSETS, file)) return c.json(errorBody('not_found', `the reference page has no file ${file}`), 404)
    const type = REFERENCE_ASSETS[file as keyof typeof REFERENCE_ASSETS]
    // Read when asked, not kept: a worker holds no copy of the viewer between visits.
    const content = await readFile(join(viewerDir, file))
    return c.body(content, 200, { ...HEADERS, 'content-type': type, 'cache-control': 'public, max-age=3600' })
  })
  return app
}
