// JetStream publishes of a window of messages, their PubAcks collected on one subscription.
// js.publish makes each publish a request of its own (a subscription entry, a timer, promises
// and an Error for a cancelled request that has already succeeded): about twice the client's
// CPU of the publish itself, paid for every event the outbox relays.
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core'
import type { NatsConnectionImpl } from '@nats-io/nats-core/internal'

export type Publication = { subject: string; payload: string; msgId: string }

/**
 * How a window went: the messages acked from its start, and why the next one was not. `cut`
 * says the next one was refused only because another producer's message came in between.
 */
export type WindowResult = {
  acked: number
  failure?: string
  cut?: boolean
  /** Per stream, the sequence of the last message of the window stored there. */
  stored: Map<string, number>
  /** The first message expected another last sequence: the stream's last one, which it reports. */
  wrongLast?: number
}

/** JetStream's error code for a Nats-Expected-Last-Msg-Id that is not the stream's last message id. */
const WRONG_LAST_MSG_ID = 10070
/** JetStream's error code for a Nats-Expected-Last-Sequence that is not the stream's last sequence. */
const WRONG_LAST_SEQUENCE = 10071

export class WindowPublisher {
  // Under the connection's inbox prefix, as the client's own requests are (the JetStream client
  // reads it there too): a worker's NATS user may subscribe to nothing else.
  private readonly prefix: string
  private readonly subscription: Subscription
  private readonly waiting = new Map<string, (failure: string | undefined) => void>()
  /** Per stream, where the window's last acked message was stored. */
  private stored = new Map<string, number>()
  /** The stream's last sequence a refused first message reported. */
  private wrongLast: number | undefined
  private next = 0

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.prefix = createInbox((nc as NatsConnectionImpl).options.inboxPrefix)
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (!error) this.answered(msg)
      },
    })
  }

  /**
   * Publishes in order on one connection, each with Nats-Msg-Id, and waits for every PubAck or
   * the timeout. A duplicate the stream dropped counts as acked: it is stored already. Each
   * message after the first expects the one before it to be the stream's last
   * (Nats-Expected-Last-Msg-Id), so when one is not stored none after it is: the window stops at
   * its first failure, and what is published again from there lands in order. With
   * `expectLastSeq`, the first one expects the stream's last message to be that one
   * (Nats-Expected-Last-Sequence): a stream written to since is told by its refusal, which
   * reports the stream's last sequence (`wrongLast`).
   */
  async publish(window: readonly Publication[], expectLastSeq?: number): Promise<WindowResult> {
    this.stored = new Map()
    this.wrongLast = undefined
    const outcomes = window.map(({ subject, payload, msgId }, i) => {
      const token = String(this.next++)
      const h = headers()
      h.set('Nats-Msg-Id', msgId)
      if (i > 0) h.set('Nats-Expected-Last-Msg-Id', window[i - 1]!.msgId)
      else if (expectLastSeq !== undefined) h.set('Nats-Expected-Last-Sequence', String(expectLastSeq))
      const outcome = new Promise<string | undefined>((resolve) => this.waiting.set(token, resolve))
      try {
        this.nc.publish(subject, payload, { reply: `${this.prefix}.${token}`, headers: h })
      } catch (error) {
        this.settle(token, `publish failed: ${(error as Error).message}`)
      }
      return { token, outcome }
    })
    const timer = setTimeout(() => {
      for (const { token } of outcomes) this.settle(token, `no PubAck within ${this.timeoutMs} ms`)
    }, this.timeoutMs)
    const failures = await Promise.all(outcomes.map((o) => o.outcome))
    clearTimeout(timer)
    const first = failures.findIndex((f) => f !== undefined)
    // Set by the PubAcks as they came in (answered()).
    const stored = this.stored
    if (first === -1) return { acked: window.length, stored }
    const failure = failures[first]!
    const wrongLast = first === 0 ? this.wrongLast : undefined
    return { acked: first, failure, cut: failure.startsWith(`stream refused (${WRONG_LAST_MSG_ID})`), stored, ...(wrongLast === undefined ? {} : { wrongLast }) }
  }

  close(): void {
    this.subscription.unsubscribe()
    for (const token of [...this.waiting.keys()]) this.settle(token, 'publisher closed')
  }

  private settle(token: string, failure: string | undefined): void {
    const resolve = this.waiting.get(token)
    if (!resolve) return
    this.waiting.delete(token)
    resolve(failure)
  }

  private answered(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1)
    // No stream listens on the subject: the server answers with a 503 status and no body. Which
    // server said so goes with it (a stream electing a leader after a node died, for a few seconds).
    if (msg.headers?.code === 503 || msg.data.length === 0) return this.settle(token, `no responders: no stream for the subject (from ${this.nc.info?.server_name ?? 'no server'})`)
    try {
      const ack = msg.json<{ stream?: string; seq?: number; error?: { err_code?: number; description?: string } }>()
      if (ack.error) {
        const last = ack.error.err_code === WRONG_LAST_SEQUENCE ? /wrong last sequence: (\d+)/.exec(ack.error.description ?? '') : null
        if (last) this.wrongLast = Number(last[1])
        return this.settle(token, `stream refused (${ack.error.err_code ?? '?'}): ${ack.error.description ?? JSON.stringify(ack.error)}`)
      }
      if (ack.stream && ack.seq !== undefined && ack.seq > (this.stored.get(ack.stream) ?? 0)) this.stored.set(ack.stream, ack.seq)
      this.settle(token, ack.stream ? undefined : 'invalid PubAck')
    } catch {
      this.settle(token, 'invalid PubAck')
    }
  }
}
