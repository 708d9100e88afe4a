// What a value that does not fit its schema is told, in words a person reads: the field, and what
// it must be ("status must be one of open, completed", "day must be a date like 2026-11-25",
// "unknown field priority"). The same words reach an HTTP client (a 422) and an operator reading
// a dead letter's reason. A pattern is never shown: a schema with one says in its description
// what it accepts, as a noun phrase ("a date like 2026-11-25").

/** A validator's error, as typebox reports it. */
export type ValidationError = {
  keyword?: string
  schemaPath?: string
  instancePath: string
  params?: Record<string, unknown>
  message: string
}

export type Explained = { path: string; message: string }

type Schema = Record<string, unknown>

const FORMATS: Record<string, string> = {
  uuid: 'a UUID like 0198c5e2-3f4a-7b1c-9d2e-8f6a5b4c3d2e',
  email: 'an email address',
  'date-time': 'a time like 2026-11-25T09:30:00.000Z',
  date: 'a date like 2026-11-25',
}

const TYPES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
}

/** The part of a schema a JSON pointer like #/properties/status/anyOf/0 names. */
function at(schema: Schema | undefined, pointer: string | undefined): Schema | undefined {
  if (!schema || pointer === undefined) return undefined
  let node: unknown = schema
  for (const key of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[key.replaceAll('~1', '/').replaceAll('~0', '~')]
  }
  return node !== null && typeof node === 'object' ? (node as Schema) : undefined
}

/** "title", "task.title"; the whole value is called by what it is ("body", "query", "account id"). */
function fieldOf(instancePath: string, what: string): string {
  const parts = instancePath.split('/').filter(Boolean)
  return parts.length === 0 ? what : parts.map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~')).join('.')
}

function join(parent: string, child: string, what: string): string {
  return parent === what ? child : `${parent}.${child}`
}

function literal(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** What a schema accepts, as a noun phrase: "open", "a UUID like …", "a date like 2026-11-25", "null". */
function noun(schema: Schema): string {
  if ('const' in schema) return literal(schema.const)
  if (Array.isArray(schema.enum)) return `one of ${schema.enum.map(literal).join(', ')}`
  if (typeof schema.pattern === 'string' && typeof schema.description === 'string') return schema.description
  if (typeof schema.format === 'string' && FORMATS[schema.format]) return FORMATS[schema.format]!
  if (Array.isArray(schema.anyOf)) return alternatives(schema.anyOf as Schema[])
  if (typeof schema.type === 'string') return TYPES[schema.type] ?? schema.type
  return 'something else'
}

function alternatives(branches: Schema[]): string {
  if (branches.length > 0 && branches.every((b) => 'const' in b)) return `one of ${branches.map((b) => literal(b.const)).join(', ')}`
  const nouns = branches.map(noun)
  return nouns.length <= 2 ? nouns.join(' or ') : `${nouns.slice(0, -1).join(', ')} or ${nouns.at(-1)}`
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`
}

function explainOne(error: ValidationError, schema: Schema | undefined, what: string): Explained[] {
  const field = fieldOf(error.instancePath, what)
  const params = error.params ?? {}
  const here = at(schema, error.schemaPath)
  const path = error.instancePath || '/'
  const said = (message: string, at = path): Explained => ({ path: at, message })
  const limit = params.limit as number
  switch (error.keyword) {
    case 'required':
      return (params.requiredProperties as string[]).map((p) => said(`${join(field, p, what)} is required`, `${error.instancePath}/${p}`))
    case 'additionalProperties': {
      const known = Object.keys((here?.properties as Schema | undefined) ?? {})
      const kind = what === 'query' && error.instancePath === '' ? 'query parameter' : 'field'
      const list = known.length === 0 ? `${what} takes none` : `the ${kind}s are ${known.join(', ')}`
      return (params.additionalProperties as string[]).map((p) => said(`unknown ${kind} ${join(field, p, what)} (${list})`, `${error.instancePath}/${p}`))
    }
    case 'type':
      return [said(`${field} must be ${[params.type].flat().map((t) => TYPES[t as string] ?? t).join(' or ')}`)]
    case 'const':
      return [said(`${field} must be ${literal(params.allowedValue)}`)]
    case 'enum':
      return [said(`${field} must be one of ${(params.allowedValues as unknown[]).map(literal).join(', ')}`)]
    case 'format':
      return [said(`${field} must be ${FORMATS[params.format as string] ?? `in ${String(params.format)} format`}`)]
    case 'pattern':
      return [said(typeof here?.description === 'string' ? `${field} must be ${here.description}` : `${field} is not in the form this field takes`)]
    case 'minLength':
      return [said(limit === 1 ? `${field} must not be empty` : `${field} must be at least ${plural(limit, 'character')}`)]
    case 'maxLength':
      return [said(`${field} must be at most ${plural(limit, 'character')}`)]
    case 'minimum':
      return [said(`${field} must be at least ${limit}`)]
    case 'maximum':
      return [said(`${field} must be at most ${limit}`)]
    case 'exclusiveMinimum':
      return [said(`${field} must be more than ${limit}`)]
    case 'exclusiveMaximum':
      return [said(`${field} must be less than ${limit}`)]
    case 'minItems':
      return [said(`${field} must have at least ${plural(limit, 'item')}`)]
    case 'maxItems':
      return [said(`${field} must have at most ${plural(limit, 'item')}`)]
    case 'minProperties': {
      const known = Object.keys((here?.properties as Schema | undefined) ?? {})
      return [said(`${field} must set at least ${limit === 1 ? 'one' : limit} of ${known.join(', ')}`)]
    }
    default:
      return [said(`${field} ${error.message}`)]
  }
}

/** Each way the value does not fit, with where: the alternatives of a union said once, as a list. */
export function explainErrors(errors: readonly ValidationError[], schema?: unknown, what = 'value'): Explained[] {
  const root = schema !== null && typeof schema === 'object' ? (schema as Schema) : undefined
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  const insideUnion = (e: ValidationError) => unions.some((u) => e !== u && u.schemaPath !== undefined && e.schemaPath?.startsWith(`${u.schemaPath}/anyOf/`))
  const explained: Explained[] = []
  for (const error of errors) {
    if (insideUnion(error)) continue
    // An unknown property is reported twice: by additionalProperties (kept) and as "schema is false".
    if (error.keyword === 'boolean' && error.schemaPath?.endsWith('/additionalProperties')) continue
    if (error.keyword === 'anyOf') {
      const branches = at(root, error.schemaPath)?.anyOf as Schema[] | undefined
      const said = branches ? alternatives(branches) : 'one of the allowed values'
      explained.push({ path: error.instancePath || '/', message: `${fieldOf(error.instancePath, what)} must be ${said}` })
      continue
    }
    explained.push(...explainOne(error, root, what))
  }
  const seen = new Set<string>()
  return explained.filter((e) => !seen.has(e.message) && seen.add(e.message))
}

/** The reasons a value does not fit its schema, in one line (the first five). */
export function describeErrors(errors: readonly ValidationError[], schema?: unknown, what?: string): string {
  return explainErrors(errors, schema, what)
    .slice(0, 5)
    .map((e) => e.message)
    .join('; ')
}
