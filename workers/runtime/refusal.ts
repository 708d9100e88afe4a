// Expected business outcomes that say no are typed refusals ({ kind: 'not_assignee' }), not
// exceptions; a worker's HTTP edge maps them to statuses with one table of its own
// (http.ts: refusing). Pure: domains import it.

export type Refusal = { kind: string; message?: string }

/** A result that is a refusal rather than a value (values never have a `kind`). */
export function isRefusal<V extends object>(value: V): value is Extract<V, Refusal> {
  return 'kind' in value
}
