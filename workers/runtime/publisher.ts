// JetStream publishes of a window of messages, their PubAcks collected on one subscription.
// js.publish makes each publish a request of its own (a subscription entry, a timer, promises
// and an Error for a cancelled request that has already succeeded): about twice the client's
// CPU of the publish itself, paid for every event the outbox relays.
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core'

export type Publication = { subject: string; payload: string; msgId: string }

/** How a window went: the messages acked from its start, and why the next one was not. */
export type WindowResult = { acked: number; failure?: string }

export class WindowPublisher {
  private readonly prefix = createInbox()
  private readonly subscription: Subscription
  private readonly waiting = new Map<string, (failure: string | undefined) => void>()
  private next = 0

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, msg) => {
        if (!error) this.answered(msg)
      },
    })
  }

  /**
   * Publishes in order on one connection (so the stream stores them in order), each with
   * Nats-Msg-Id, and waits for every PubAck or the timeout. A duplicate the stream dropped counts
   * as acked: it is stored already.
   */
  async publish(window: readonly Publication[]): Promise<WindowResult> {
    const outcomes = window.map(({ subject, payload, msgId }) => {
      const token = String(this.next++)
      const h = headers()
      h.set('Nats-Msg-Id', msgId)
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
    return first === -1 ? { acked: window.length } : { acked: first, failure: failures[first]! }
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
    // No stream listens on the subject: the server answers with a 503 status and no body.
    if (msg.headers?.code === 503 || msg.data.length === 0) return this.settle(token, 'no responders: no stream for the subject')
    try {
      const ack = msg.json<{ stream?: string; seq?: number; error?: { description?: string } }>()
      if (ack.error) return this.settle(token, `stream refused: ${ack.error.description ?? JSON.stringify(ack.error)}`)
      this.settle(token, ack.stream ? undefined : 'invalid PubAck')
    } catch {
      this.settle(token, 'invalid PubAck')
    }
  }
}
