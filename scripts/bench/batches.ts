// The consumer loop of the bench's stand-ins (the raw consume into SQLite, the pipeline's
// skeleton): what has arrived is taken in batches of at most 1000, each handed over (one SQLite
// transaction, in the callers) and then acked message by message — a worker's consumer loop
// without the worker.
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream'

export function consumeInBatches(consumer: Consumer, handle: (batch: JsMsg[]) => void): Promise<ConsumerMessages> {
  const queue: JsMsg[] = []
  let scheduled = false
  const drain = () => {
    scheduled = false
    while (queue.length > 0) {
      const batch = queue.splice(0, 1000)
      handle(batch)
      for (const msg of batch) msg.ack()
    }
  }
  return consumer.consume({
    max_messages: 2000,
    callback: (msg) => {
      queue.push(msg)
      if (!scheduled) {
        scheduled = true
        setImmediate(drain)
      }
    },
  })
}
