// Walking a running system's OpenAPI documents: each request is sent for real, its answer is
// checked against what the document the worker serves says about that route and status, and
// the walk remembers which (route, status) it has seen, to tell which the document lists that
// were never shown to hold.
import assert from 'node:assert/strict'
import { Compile, type Validator } from 'typebox/compile'
import { openApiPath } from '../../../contracts/http/openapi.ts'
import { describeErrors } from '../../../contracts/messages.ts'
import type { WorkerName } from '../config.ts'

type Json = Record<string, unknown>
type ResponseDoc = { description: string; content?: Record<string, { schema: Json }>; headers?: Json }
type OperationDoc = { operationId: string; security: unknown[]; responses: Record<string, ResponseDoc>; requestBody?: unknown; parameters: Array<{ name: string; in: string }> }
export type OpenApi = { openapi: string; paths: Record<string, Record<string, OperationDoc>> }

/** One request: to a route as the document names it (/api/tasks/:id), with the path it is sent to. */
export type Call = {
  worker: WorkerName
  method: string
  /** The route as the router writes it, e.g. /api/tasks/:id */
  route: string
  /** The path and query sent, e.g. /api/tasks/0198…?x=1 (default: the route). */
  path?: string
  token?: string | undefined
  json?: unknown
  form?: Record<string, string>
  /** A body sent as it is, with its content type. */
  raw?: { type: string; body: string }
  headers?: Record<string, string>
}

export type Answer = { status: number; headers: Headers; text: string; body: unknown }

export class ApiWalk {
  readonly documents = new Map<WorkerName, OpenApi>()
  private readonly seen = new Set<string>()
  private readonly validators = new Map<string, Validator>()

  constructor(readonly urls: Record<WorkerName, string>) {}

  async load(workers: readonly WorkerName[]): Promise<void> {
    for (const worker of workers) {
      const response = await fetch(`${this.urls[worker]}/openapi.json`)
      assert.equal(response.status, 200, `${worker} serves /openapi.json without a token`)
      this.documents.set(worker, (await response.json()) as OpenApi)
    }
  }

  operation(worker: WorkerName, method: string, route: string): OperationDoc {
    const operation = this.documents.get(worker)?.paths[openApiPath(route)]?.[method.toLowerCase()]
    assert.ok(operation, `${worker}'s document has ${method} ${route}`)
    return operation
  }

  async send(call: Call): Promise<Answer> {
    const headers: Record<string, string> = { ...(call.token ? { authorization: `Bearer ${call.token}` } : {}), ...call.headers }
    let body: string | undefined
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.json)
    } else if (call.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers.origin ??= this.urls[call.worker]
      body = new URLSearchParams(call.form).toString()
    } else if (call.raw) {
      headers['content-type'] = call.raw.type
      body = call.raw.body
    }
    const response = await fetch(`${this.urls[call.worker]}${call.path ?? call.route}`, { method: call.method, headers, body, redirect: 'manual' })
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    return { status: response.status, headers: response.headers, text, body: parsed }
  }

  /** Sends a call, expects the status, and checks the answer against the worker's document. */
  async expect(call: Call, status: number): Promise<Answer> {
    const answer = await this.send(call)
    const what = `${call.worker} ${call.method} ${call.path ?? call.route}`
    assert.equal(answer.status, status, `${what}: expected ${status}, got ${answer.status} ${answer.text.slice(0, 300)}`)
    this.holds(call, answer)
    return answer
  }

  /** Checks an answer against the document: its status is listed, and its body is what the listing says. */
  holds(call: Pick<Call, 'worker' | 'method' | 'route'>, answer: Answer): void {
    const what = `${call.worker} ${call.method} ${call.route} → ${answer.status}`
    const listed = this.operation(call.worker, call.method, call.route).responses[String(answer.status)]
    assert.ok(listed, `${what}: the document does not list this status`)
    const contentType = answer.headers.get('content-type') ?? ''
    if (listed.content?.['application/json']) {
      assert.match(contentType, /^application\/json/, `${what}: JSON`)
      const schema = listed.content['application/json'].schema
      const validator = this.validatorOf(schema)
      assert.ok(validator.Check(answer.body), `${what}: the body does not fit the document: ${describeErrors(validator.Errors(answer.body), schema, 'body')}\n${answer.text.slice(0, 500)}`)
    } else if (listed.content) {
      const media = Object.keys(listed.content)[0]!
      if (media !== '*/*') assert.ok(contentType.startsWith(media), `${what}: ${media}, got ${contentType}`)
    } else {
      assert.ok(answer.headers.get('location'), `${what}: a redirect names where to`)
    }
    this.seen.add(`${call.worker} ${call.method.toLowerCase()} ${openApiPath(call.route)} ${answer.status}`)
  }

  /** Every (worker, method, path, status) the documents list that no answer was seen for, but those excused. */
  unseen(excused: ReadonlyMap<string, string>): string[] {
    const missing: string[] = []
    for (const [worker, document] of this.documents) {
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          for (const status of Object.keys(operation.responses)) {
            const key = `${worker} ${method} ${path} ${status}`
            if (!this.seen.has(key) && !excused.has(key)) missing.push(key)
          }
        }
      }
    }
    return missing
  }

  private validatorOf(schema: Json): Validator {
    const key = JSON.stringify(schema)
    let validator = this.validators.get(key)
    if (!validator) {
      validator = Compile(schema)
      this.validators.set(key, validator)
    }
    return validator
  }
}
