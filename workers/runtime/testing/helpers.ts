// Small helpers shared by tests: temp dirs, polling, reading a whole stream.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import type { MsgHdrs } from '@nats-io/nats-core'

export function tempDir(prefix = 'ates-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** Polls until fn returns a truthy value, or fails with what it last saw. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  while (Date.now() < deadline) {
    last = await fn()
    if (last) return last as NonNullable<T>
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`)
}

export type StoredMessage = { seq: number; subject: string; data: string; headers: MsgHdrs | undefined }

/** Every message a stream holds (optionally only on one subject filter), in order. */
export async function readStream(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  filter?: string,
): Promise<StoredMessage[]> {
  const info = await jsm.streams.info(stream)
  const total = filter ? undefined : info.state.messages
  if (total === 0) return []
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.All,
    ...(filter ? { filter_subjects: filter } : {}),
  })
  const out: StoredMessage[] = []
  const lastSeq = info.state.last_seq
  for (;;) {
    const msg = await consumer.next({ expires: 1000 })
    if (!msg) break
    out.push({ seq: msg.seq, subject: msg.subject, data: msg.string(), headers: msg.headers })
    if (msg.seq >= lastSeq || msg.info.pending === 0) break
  }
  await consumer.delete().catch(() => undefined)
  return out
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
