// `make dlq [WORKER=billing]` lists dead letters; `make dlq-redrive [WORKER=billing]` sends
// them back to their original subjects after a fix.
import { jetstream } from '@nats-io/jetstream'
import { loadConfig } from '../workers/runtime/config.ts'
import { connectNats, manager } from '../workers/runtime/nats.ts'
import { deadLetterLine, listDeadLetters, redrive } from './lib/dlq.ts'
import { operatorCredentials } from './lib/nats-users.ts'

const [command = 'list', worker] = process.argv.slice(2)
const config = loadConfig()
const nc = await connectNats({ servers: config.natsServers, name: 'ates-dlq', ...operatorCredentials(config) })
try {
  const js = jetstream(nc)
  const jsm = await manager(nc)
  const letters = await listDeadLetters(js, jsm, worker || undefined)
  const scope = worker ? ` of ${worker}` : ''
  if (command === 'list') {
    for (const letter of letters) console.log(deadLetterLine(letter))
    console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}${scope}`)
  } else if (command === 'redrive') {
    const sent = await redrive(js, jsm, letters)
    console.log(`re-drove ${sent} dead letter${sent === 1 ? '' : 's'}${scope} to their original subjects`)
  } else {
    throw new Error(`unknown command ${command}: list | redrive`)
  }
} catch (error) {
  console.error((error as Error).message)
  process.exitCode = 1
} finally {
  await nc.close()
}
