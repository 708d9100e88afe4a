// deploy/ is not run here (no Docker engine), so it is held to what the make targets run:
// the same workers, entrypoints, NATS config and per-worker users, and an image that holds
// every file a worker imports.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'
import { loadConfig, WORKERS } from '../workers/runtime/config.ts'
import { connectNats, inboxOf, manager, STREAMS } from '../workers/runtime/nats.ts'
import { startNats } from '../workers/runtime/testing/nats-server.ts'
import { generatePasswords, NATS_USERS, SINGLE_CONFIG, serverEnv } from './lib/nats-users.ts'
import { builtEntrypoint, WORKER_ENV, WORKER_NODE_ARGS } from './lib/build.ts'
import { entrypoint, root } from './lib/stack.ts'

const run = promisify(execFile)
const deploy = join(root, 'deploy')
const compose = readFileSync(join(deploy, 'compose.yaml'), 'utf8')
const dockerfile = readFileSync(join(deploy, 'Dockerfile'), 'utf8')
const usersConf = readFileSync(join(deploy, 'nats', 'users.conf'), 'utf8')

/** The compose file's services, each as its block of lines (block style, two-space indents). */
function services(): Map<string, string[]> {
  const lines = compose.split('\n')
  const found = new Map<string, string[]>()
  let current: string[] | undefined
  for (const line of lines.slice(lines.indexOf('services:') + 1)) {
    if (/^\S/.test(line)) break
    const header = /^ {2}([\w-]+):\s*$/.exec(line)
    if (header) found.set(header[1]!, (current = []))
    else if (line.trim()) current?.push(line)
  }
  return found
}

const field = (block: string[], key: string) => block.find((l) => l.startsWith(`    ${key}: `))?.slice(`    ${key}: `.length)

function environment(block: string[]): Record<string, string> {
  const start = block.indexOf('    environment:')
  assert.ok(start >= 0, 'environment as a block')
  const env: Record<string, string> = {}
  for (const line of block.slice(start + 1)) {
    const entry = /^ {6}(\w+): (.*)$/.exec(line)
    if (!entry) break
    env[entry[1]!] = entry[2]!
  }
  return env
}

/** Relative imports, followed from a file, as paths from the root. */
function importGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen
  seen.add(file)
  const source = readFileSync(join(root, file), 'utf8')
  for (const match of source.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']+)'/g)) {
    importGraph(relative(root, resolve(root, dirname(file), match[1]!)), seen)
  }
  return seen
}

describe('deploy/ follows the make targets', () => {
  const all = services()

  test('compose runs NATS, the provisioning and exactly the workers `make up` runs', () => {
    assert.deepEqual([...all.keys()].sort(), ['nats', 'provision', ...WORKERS].sort())
  })

  test('NATS in compose uses the config `make up` uses, with every password users.conf asks for', () => {
    const nats = all.get('nats')!
    const command = field(nats, 'command') ?? ''
    const mount = /"\.\/nats:(\/[^:"]+)(?::ro)?"/.exec(field(nats, 'volumes') ?? '')
    assert.ok(mount, 'deploy/nats mounted')
    const inContainer = /"-c", "([^"]+)"/.exec(command)?.[1] ?? ''
    assert.ok(inContainer.startsWith(`${mount[1]}/`), `${inContainer} is inside the mounted deploy/nats`)
    assert.equal(join(deploy, 'nats', relative(mount[1]!, inContainer)), SINGLE_CONFIG)
    assert.match(command, /"-js"/)

    const asked = new Set([...usersConf.matchAll(/\$(ATES_NATS_PASS_\w+)/g)].map((m) => m[1]))
    assert.deepEqual(asked, new Set(NATS_USERS.map((u) => `ATES_NATS_PASS_${u.toUpperCase()}`)))
    const given = environment(nats)
    for (const variable of asked) assert.equal(given[variable!], `\${${variable}:?}`, `${variable} passed to nats-server`)
  })

  test('each worker connects as its own user of users.conf, on its default port', () => {
    const ports = loadConfig({}).ports
    for (const worker of WORKERS) {
      const block = all.get(worker)!
      assert.ok(block.includes('    <<: *worker'), `${worker} shares the worker image and waits for the streams`)
      const env = environment(block)
      assert.equal(env.WORKER, worker)
      assert.equal(env.ATES_NATS_URL, 'nats://nats:4222')
      assert.equal(env.ATES_NATS_USER, worker)
      const variable = `ATES_NATS_PASS_${worker.toUpperCase()}`
      assert.equal(env.ATES_NATS_PASS, `\${${variable}:?}`)
      assert.match(usersConf, new RegExp(`\\{ user: ${worker}, password: \\$${variable}[ ,]`), `users.conf has ${worker} with ${variable}`)
      assert.equal(field(block, 'ports'), `["${ports[worker]}:${ports[worker]}"]`)
      if (worker !== 'auth') assert.equal(env.ATES_AUTH_JWKS_URL, `http://auth:${ports.auth}/.well-known/jwks.json`)
      assert.equal(env.ATES_ALLOW_DEFAULT_ADMIN_BEAK, undefined, `${worker} is not told the default admin beak will do`)
    }
    assert.equal(environment(all.get('auth')!).ATES_ADMIN_BEAK, '${ATES_ADMIN_BEAK:?}', 'compose cannot start auth without the first admin\'s beak')
    assert.doesNotMatch(dockerfile, /ATES_ALLOW_DEFAULT_ADMIN_BEAK|ATES_ADMIN_BEAK/, 'nor does the image bring one')
    assert.match(compose, /x-worker: &worker\n(?: {2}.*\n)*? {2}depends_on:\n {4}provision: \{ condition: service_completed_successfully \}/)
  })

  test('the streams are provisioned by ops with scripts/provision.ts, which works as compose runs it', async () => {
    const block = all.get('provision')!
    const script = /"(scripts\/[\w./-]+\.ts)"/.exec(field(block, 'command') ?? '')?.[1]
    assert.equal(script, 'scripts/provision.ts')
    const env = environment(block)
    assert.deepEqual(env, { ATES_NATS_URL: 'nats://nats:4222', ATES_NATS_USER: 'ops', ATES_NATS_PASS: '${ATES_NATS_PASS_OPS:?}' })

    const passwords = generatePasswords()
    const nats = await startNats({ configFile: SINGLE_CONFIG, env: serverEnv(passwords) })
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
        cwd: root,
        env: { ...process.env, ...env, ATES_NATS_URL: nats.url, ATES_NATS_PASS: passwords.ops, ATES_STREAM_REPLICAS: '' },
      })
      assert.match(stdout, /^streams ACCOUNTS, TASKS, BILLING, ANALYTICS, AUTH, CLOSE, DLQ and the lease buckets with 1 replica/)
      const nc = await connectNats({ servers: [nats.url], name: 'test', user: 'tasks', pass: passwords.tasks, inboxPrefix: inboxOf('tasks') })
      const jsm = await manager(nc)
      for (const stream of Object.keys(STREAMS)) assert.equal((await jsm.streams.info(stream)).config.num_replicas, 1)
      await nc.close()
    } finally {
      await nats.stop()
    }
  })

  test("the image builds and runs `make up`'s entrypoints and holds every file they import", () => {
    const cmd = /^CMD \[(.*)\]$/m.exec(dockerfile)?.[1] ?? ''
    const pattern = /\.build\/workers\/\$\{WORKER[^}]*\}\/main\.js/.exec(cmd)?.[0]
    assert.ok(pattern, `CMD runs .build/workers/$WORKER/main.js: ${cmd}`)
    assert.ok(cmd.includes(`exec node ${WORKER_NODE_ARGS.join(' ')} .build/`), `plain node runs the compiled worker with the arguments make up gives it: ${cmd}`)
    for (const [name, value] of Object.entries(WORKER_ENV)) {
      assert.match(dockerfile, new RegExp(`^ENV ${name}=${value}$`, 'm'), `the image sets ${name} as make up does`)
    }
    const copied = [...dockerfile.matchAll(/^COPY (.+) \.\/(\S*)$/gm)].flatMap((m) => m[1]!.split(' '))
    assert.ok(copied.includes('tsconfig.build.json'), 'the build configuration is copied')
    const build = dockerfile.search(/^RUN npx tsc -b tsconfig\.build\.json$/m)
    assert.ok(build > dockerfile.lastIndexOf('\nCOPY '), 'the workers are built after every source is copied')
    for (const worker of WORKERS) {
      assert.equal(pattern.replace(/\$\{WORKER[^}]*\}/, worker), builtEntrypoint(worker))
      for (const file of importGraph(entrypoint(worker))) {
        assert.ok(copied.some((dir) => file === dir || file.startsWith(`${dir}/`)), `${file} (imported by ${worker}) is copied into the image`)
      }
    }
    for (const file of importGraph('scripts/provision.ts')) {
      assert.ok(copied.some((dir) => file.startsWith(`${dir}/`)), `${file} (provisioning) is copied into the image`)
    }
    // tsc builds the workers and tsx runs the provisioning, both dev dependencies: the image keeps them.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    assert.ok(pkg.devDependencies.tsx && pkg.devDependencies.typescript)
    assert.match(dockerfile, /^RUN npm ci(?!.*(--omit=dev|--production))/m)
  })

  test('every metric the alert rules of deploy/observability/alerts.yml name is one a worker exports', () => {
    const alerts = readFileSync(join(deploy, 'observability', 'alerts.yml'), 'utf8')
    const named = new Set([...alerts.matchAll(/^ +expr: (.+)$/gm)].flatMap((m) => [...m[1]!.matchAll(/\bates_[a-z_]+/g)].map((metric) => metric[0])))
    assert.ok(named.has('ates_audit_differences'), 'an alert on the audit\'s differences')
    const workers = join(root, 'workers')
    const sources = (readdirSync(workers, { recursive: true }) as string[])
      .filter((file) => /\.tsx?$/.test(file) && !file.includes('.test.'))
      .map((file) => readFileSync(join(workers, file), 'utf8'))
      .join('\n')
    for (const metric of named) assert.ok(sources.includes(`'${metric}'`), `${metric} is a metric some worker exports`)
  })
})
