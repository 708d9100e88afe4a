// A process that commits numbered events to its outbox while the relay publishes them;
// the outbox test SIGKILLs it at random moments and starts it again on the same file.
// Usage: outbox-crash-child.ts <nats-url> <db-file> <total>
import { silentLogger } from '../log.ts'
import { connectNats } from '../nats.ts'
import { Outbox, OutboxRelay } from '../outbox.ts'
import { openStore, type Store } from '../store.ts'

const [natsUrl, dbFile, totalArg] = process.argv.slice(2)
const total = Number(totalArg)

export function numberedId(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
}

type DB = { counter: { n: number } }

const store = openStore<DB>(dbFile!, [
  { name: '001_counter', up: 'CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);' },
])
const nc = await connectNats({ servers: [natsUrl!], name: 'outbox-crash-child' })
const outbox = new Outbox(store as Store<unknown>, 'auth', () => new Date(), () => 'unused')
const relay = new OutboxRelay({ store: store as Store<unknown>, nc, log: silentLogger, batchSize: 50, pollMs: 5 })
outbox.onEmit = () => relay.kick()
relay.start()
process.stdout.write('ready\n')

const commitFive = store.sqlite.transaction(() => {
  let n = store.first(store.db.selectFrom('counter').select('n'))!.n
  for (let i = 0; i < 5 && n < total; i += 1, n += 1) {
    outbox.emit(
      'accounts.created',
      { account_id: numberedId(n), name: `popug ${n}`, email: `p${n}@ates.local`, role: 'popug', active: true },
      { eventId: numberedId(n) },
    )
  }
  store.run(store.db.updateTable('counter').set({ n }))
  return n
})

for (;;) {
  const n = commitFive()
  if (n >= total) break
  await new Promise((resolve) => setImmediate(resolve))
}
await relay.flushed(30_000)
process.stdout.write('done\n')
await relay.stop()
await nc.drain()
store.close()
