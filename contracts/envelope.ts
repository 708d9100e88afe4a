import Type, { type TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { Timestamp, Uuid, WorkerName } from './common.ts'
import { describeErrors } from './messages.ts'
import {
  type EventData,
  type EventName,
  isEventName,
  latestVersion,
  subjectOf,
  upcast,
  validatorFor,
} from './registry.ts'

export { describeErrors }

/** The envelope every event travels in, whatever its name and version. */
export const EnvelopeHeader = Type.Object(
  {
    event_id: Uuid,
    event_name: Type.String({ minLength: 1, maxLength: 100 }),
    event_version: Type.Integer({ minimum: 1 }),
    event_time: Timestamp,
    producer: WorkerName,
    data: Type.Unknown(),
  },
  { additionalProperties: false },
)

/** The complete schema of one (name, version): the envelope with its data. */
export function envelopeSchema(name: EventName, version: number, data: TSchema) {
  return Type.Object(
    {
      event_id: Uuid,
      event_name: Type.Literal(name),
      event_version: Type.Literal(version),
      event_time: Timestamp,
      producer: WorkerName,
      data,
    },
    { additionalProperties: false },
  )
}

export type Producer = 'auth' | 'tasks' | 'billing' | 'close' | 'analytics' | 'audit'

/** An event as handlers see it: always the latest version of its data. */
export type Envelope<N extends EventName = EventName> = {
  [K in N]: {
    event_id: string
    event_name: K
    event_version: number
    event_time: string
    producer: Producer
    data: EventData<K>
  }
}[N]

export type NewEvent<N extends EventName = EventName> = {
  name: N
  data: EventData<N>
  eventId: string
  time: Date
  producer: Producer
}

export class ContractError extends Error {}

/** Builds and validates an outgoing event; a producer never sends what the registry refuses. */
export function makeEnvelope<N extends EventName>(event: NewEvent<N>): { subject: string; envelope: Envelope<N> } {
  const version = latestVersion(event.name)
  const validator = validatorFor(event.name, version)!
  if (!validator.Check(event.data)) {
    throw new ContractError(`${event.name} v${version}: ${describeErrors(validator.Errors(event.data), validator.Type(), 'data')}`)
  }
  const envelope = {
    event_id: event.eventId,
    event_name: event.name,
    event_version: version,
    event_time: event.time.toISOString(),
    producer: event.producer,
    data: event.data,
  } as Envelope<N>
  return { subject: subjectOf(event.name, version), envelope }
}

export type Decoded =
  | { ok: true; event: Envelope; version: number }
  | { ok: false; reason: string; eventId?: string }

const headerValidator = Compile(EnvelopeHeader)
const utf8 = new TextDecoder()

/**
 * Reads an incoming message: JSON, envelope, subject agreement, the data schema of its
 * (name, version), then upcasts the data to the latest version.
 */
export function decodeEvent(subject: string, payload: string | Uint8Array): Decoded {
  let raw: unknown
  try {
    raw = JSON.parse(typeof payload === 'string' ? payload : utf8.decode(payload))
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` }
  }
  if (!headerValidator.Check(raw)) {
    return { ok: false, reason: `invalid envelope: ${describeErrors(headerValidator.Errors(raw), EnvelopeHeader, 'envelope')}` }
  }
  const { event_name: name, event_version: version, event_id: eventId } = raw
  if (!isEventName(name)) return { ok: false, reason: `unknown event ${name}`, eventId }
  const validator = validatorFor(name, version)
  if (!validator) return { ok: false, reason: `unknown version ${name} v${version}`, eventId }
  const expectedSubject = subjectOf(name, version)
  if (subject !== expectedSubject) {
    return { ok: false, reason: `subject ${subject} does not match ${expectedSubject}`, eventId }
  }
  if (!validator.Check(raw.data)) {
    return { ok: false, reason: `invalid ${name} v${version}: ${describeErrors(validator.Errors(raw.data), validator.Type(), 'data')}`, eventId }
  }
  // The latest version's data is the envelope's own: no copy of the envelope for it.
  const data = upcast(name, version, raw.data)
  const event = (data === raw.data ? raw : { ...raw, data }) as Envelope
  return { ok: true, event, version }
}
