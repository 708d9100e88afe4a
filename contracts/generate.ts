// Generates JSON Schema files (one per event version), an AsyncAPI document and each worker's
// OpenAPI document from the TypeBox definitions, for clients that do not speak TypeScript.
// `make contracts` writes them; a test checks the committed files are fresh.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { envelopeSchema } from './envelope.ts'
import { ANALYTICS_API } from './http/analytics.ts'
import { AUDIT_API } from './http/audit.ts'
import { AUTH_API } from './http/auth.ts'
import { BILLING_API } from './http/billing.ts'
import { CLOSE_API } from './http/close.ts'
import { openApiDocument } from './http/openapi.ts'
import { TASKS_API } from './http/tasks.ts'
import { definitions, eventNames, subjectOf } from './registry.ts'

export const contractsDir = dirname(fileURLToPath(import.meta.url))
export const schemasDir = join(contractsDir, 'schemas')
export const openApiDir = join(contractsDir, 'openapi')

const SCHEMA_BASE = 'https://ates.example/contracts/schemas/'

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

/** Every generated file: path relative to contracts/ → content. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>()
  const channels: Record<string, unknown> = {}
  for (const name of eventNames) {
    const definition = definitions[name]
    for (const [versionKey, version] of Object.entries(definition.versions)) {
      const number = Number(versionKey)
      const subject = subjectOf(name, number)
      const schema = {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        $id: `${SCHEMA_BASE}${subject}.json`,
        title: `${name} v${number}`,
        description: `${definition.kind}: ${definition.description}`,
        ...envelopeSchema(name, number, version.schema),
      }
      files.set(`schemas/${subject}.json`, json(schema))
      channels[subject] = {
        description: definition.description,
        subscribe: {
          operationId: `on_${subject.replaceAll('.', '_')}`,
          message: {
            name: subject,
            title: `${name} v${number}`,
            contentType: 'application/json',
            headers: {
              type: 'object',
              properties: { 'Nats-Msg-Id': { type: 'string', description: 'equals event_id' } },
            },
            payload: { $ref: `./schemas/${subject}.json` },
          },
        },
      }
    }
  }
  files.set(
    'asyncapi.json',
    json({
      asyncapi: '2.6.0',
      info: {
        title: 'aTES events',
        version: '1.0.0',
        description:
          'Events of the Awesome Task Exchange System on NATS JetStream. Subject: <event_name>.v<event_version>; money in integer cents.',
      },
      defaultContentType: 'application/json',
      channels,
    }),
  )
  // Each worker serves its own at /openapi.json, with its address as the server.
  for (const api of [AUTH_API, TASKS_API, BILLING_API, CLOSE_API, ANALYTICS_API, AUDIT_API]) files.set(`openapi/${api.worker}.json`, json(openApiDocument(api)))
  return files
}

function write(): void {
  for (const dir of [schemasDir, openApiDir]) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
  }
  const files = generatedFiles()
  for (const [path, content] of files) writeFileSync(join(contractsDir, path), content)
  console.log(`wrote ${files.size} files under contracts/ (${readdirSync(schemasDir).length} event schemas, ${readdirSync(openApiDir).length} OpenAPI documents)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) write()
