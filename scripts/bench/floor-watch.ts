// The latency scenario's instrument, in a process of its own: the ack floors of durables, each
// polled about every millisecond, every sample stamped with the machine's monotonic clock (the
// same in every process). Polled from the runner's process, which also sends the tasks and reads their
// answers, a poll waited behind that work: gaps of up to 395 ms at 957 tasks/s, and every fee
// applied during a gap was counted late by the rest of it.
// Usage: floor-watch.ts <nats url> <stream>/<durable>... — says "ready" once every floor was
// read; on "stop" (stdin) prints the samples, one array per durable, as one JSON line.
import { createInterface } from 'node:readline'
import { connectNats, manager } from '../../workers/runtime/nats.ts'
import { monotonicMs, type Sample } from './latency.ts'

const [url, ...durables] = process.argv.slice(2)
const nc = await connectNats({ servers: [url!], name: 'bench floor watch' })
const jsm = await manager(nc)
let running = true
const watches = durables.map(async (name) => {
  const [stream, durable] = name.split('/') as [string, string]
  const samples: Sample[] = []
  const first = await jsm.consumers.info(stream, durable)
  samples.push({ at: monotonicMs(), floor: first.ack_floor.stream_seq })
  return {
    samples,
    loop: (async () => {
      while (running) {
        const info = await jsm.consumers.info(stream, durable)
        samples.push({ at: monotonicMs(), floor: info.ack_floor.stream_seq })
        // About a millisecond apart: polled back to back, nats-server answered two durables'
        // infos 6,000 times a second, processor the system under test was measured without.
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    })(),
  }
})
const watching = await Promise.all(watches)
process.stdout.write('ready\n')
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'stop') continue
  running = false
  await Promise.all(watching.map((w) => w.loop))
  process.stdout.write(`${JSON.stringify(watching.map((w) => w.samples))}\n`)
  break
}
await nc.close()
