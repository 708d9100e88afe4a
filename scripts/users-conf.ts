// `make users-conf [INSTANCES=a,b]`: writes deploy/nats/users.conf from the workers' definitions.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CLUSTER_INSTANCES, usersConf } from './lib/users-conf.ts'

const raw = process.env.INSTANCES
const instances = raw === undefined || raw.trim() === '' ? [...CLUSTER_INSTANCES] : raw.split(',').map((s) => s.trim())
for (const name of instances) {
  if (!/^[a-z0-9]{1,16}$/.test(name)) {
    process.stderr.write(`INSTANCES takes instance names of 1 to 16 lower-case letters or digits (as ATES_INSTANCE), got "${name}"\n`)
    process.exit(2)
  }
}
const file = fileURLToPath(new URL('../deploy/nats/users.conf', import.meta.url))
writeFileSync(file, usersConf(instances))
process.stdout.write(`wrote ${file} for the instances without a name and ${instances.join(', ')}\n`)
