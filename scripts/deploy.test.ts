// deploy/ is not run here (no Docker engine), so it is held to what the make targets run:
// the same workers, entrypoints, NATS config and per-worker users; an image built in two
// stages whose final one holds the compiled workers and production dependencies only, runs as
// a user of its own and checks /readyz; services started in order of health; and an
// .env.example with every variable compose reads.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { promisify } from 'node:util'
import { loadConfig, WORKERS } from '../workers/runtime/config.ts'
import { connectNats, inboxOf, manager, STREAMS } from '../workers/runtime/nats.ts'
import { startNats } from '../workers/runtime/testing/nats-server.ts'
import { generatePasswords, NATS_USERS, SINGLE_CONFIG, serverEnv } from './lib/nats-users.ts'
import { builtEntrypoint, buildWorkers, WORKER_ENV, WORKER_NODE_ARGS } from './lib/build.ts'
import { entrypoint, root } from './lib/stack.ts'

const run = promisify(execFile)
const deploy = join(root, 'deploy')
const compose = readFileSync(join(deploy, 'compose.yaml'), 'utf8')
const dockerfile = readFileSync(join(deploy, 'Dockerfile'), 'utf8')
const usersConf = readFileSync(join(deploy, 'nats', 'users.conf'), 'utf8')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> }

/** The Dockerfile's stages, each as its text from its FROM line on. */
const stages = dockerfile.split(/^(?=FROM )/m).filter((part) => part.startsWith('FROM '))
const [buildStage = '', finalStage = ''] = stages

/** A top-level block of the compose file (an x- extension), as its lines. */
function topLevel(name: string): string[] {
  const lines = compose.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`${name}:`))
  assert.ok(start >= 0, `${name} in compose.yaml`)
  const block: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line) || line.trim() === '') break
    block.push(line)
  }
  return block
}

/** `name: { condition: x }` entries of a depends_on block, at the given indent. */
function conditions(lines: string[], indent: string): Record<string, string> {
  const found: Record<string, string> = {}
  for (const line of lines) {
    const entry = new RegExp(`^${indent}([\\w-]+): \\{ condition: (\\w+) \\}$`).exec(line)
    if (entry) found[entry[1]!] = entry[2]!
  }
  return found
}

/** Compiled relative imports followed from a built file, as paths from the root, with the packages they import. */
function builtGraph(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen
  const source = readFileSync(join(root, file), 'utf8')
  // Static imports and re-exports begin a line of tsc's output; dynamic ones are import("…").
  const statements = /^(?:import|export)\s[^;"'()=]*?\bfrom\s*["']([^"']+)["']|^import\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm
  const specifiers = [...source.matchAll(statements)].map((m) => (m[1] ?? m[2] ?? m[3])!)
  seen.set(file, specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:')))
  for (const relativePath of specifiers.filter((s) => s.startsWith('.'))) builtGraph(relative(root, resolve(root, dirname(file), relativePath)), seen)
  return seen
}

const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')

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
  })

  test('the streams are provisioned by ops with scripts/provision.ts, compiled, which works on plain node as compose runs it', async () => {
    const block = all.get('provision')!
    assert.equal(field(block, 'command'), '["node", ".build/scripts/provision.js"]')
    const script = '.build/scripts/provision.js'
    await buildWorkers()
    assert.ok(existsSync(join(root, script)), 'make build compiles the provisioning')
    const env = environment(block)
    assert.deepEqual(env, { ATES_NATS_URL: 'nats://nats:4222', ATES_NATS_USER: 'ops', ATES_NATS_PASS: '${ATES_NATS_PASS_OPS:?}' })

    const passwords = generatePasswords()
    const nats = await startNats({ configFile: SINGLE_CONFIG, env: serverEnv(passwords) })
    try {
      const { stdout } = await run(process.execPath, [script], {
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
    const cmd = /^CMD \[(.*)\]$/m.exec(finalStage)?.[1] ?? ''
    const pattern = /\.build\/workers\/\$\{WORKER[^}]*\}\/main\.js/.exec(cmd)?.[0]
    assert.ok(pattern, `CMD runs .build/workers/$WORKER/main.js: ${cmd}`)
    assert.ok(cmd.includes(`exec node ${WORKER_NODE_ARGS.join(' ')} .build/`), `plain node runs the compiled worker with the arguments make up gives it: ${cmd}`)
    for (const [name, value] of Object.entries(WORKER_ENV)) {
      assert.match(finalStage, new RegExp(`^ENV ${name}=${value}$`, 'm'), `the image sets ${name} as make up does`)
    }
    const copied = [...buildStage.matchAll(/^COPY (.+) \.\/(\S*)$/gm)].flatMap((m) => m[1]!.split(' '))
    assert.ok(copied.includes('tsconfig.build.json'), 'the build configuration is copied')
    const build = buildStage.search(/^RUN npx tsc -b tsconfig\.build\.json$/m)
    assert.ok(build > buildStage.lastIndexOf('\nCOPY '), 'the workers are built after every source is copied')
    for (const worker of WORKERS) {
      assert.equal(pattern.replace(/\$\{WORKER[^}]*\}/, worker), builtEntrypoint(worker))
      for (const file of importGraph(entrypoint(worker))) {
        assert.ok(copied.some((dir) => file === dir || file.startsWith(`${dir}/`)), `${file} (imported by ${worker}) is copied into the build stage`)
      }
    }
    for (const file of importGraph('scripts/provision.ts')) {
      assert.ok(copied.some((dir) => file.startsWith(`${dir}/`)), `${file} (provisioning) is copied into the build stage`)
    }
  })

  test('two stages: the compiler, the dev dependencies and the sources stay in the build stage', () => {
    assert.equal(stages.length, 2, 'a build stage and the final image')
    assert.match(buildStage, /^FROM node:20-slim AS build$/m)
    assert.match(finalStage, /^FROM node:20-slim$/m)
    // better-sqlite3 is compiled where no prebuilt binary fits: in the build stage only.
    assert.match(buildStage, /^RUN apt-get update && apt-get install .*\bg\+\+/m)
    assert.doesNotMatch(finalStage, /apt-get|build-essential|python|\bg\+\+|\bmake\b/)
    // Every dependency to build (tsc), then only the production ones for the image.
    assert.match(buildStage, /^RUN npm ci(?!.*(--omit=dev|--production))/m)
    const prune = buildStage.search(/^RUN npm prune --omit=dev\b/m)
    assert.ok(prune > buildStage.search(/^RUN npx tsc -b tsconfig\.build\.json$/m), 'pruned after the build')
    assert.doesNotMatch(finalStage, /^RUN npm (ci|install)/m, 'the final image installs nothing of its own')
    const fromBuild = [...finalStage.matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S*)$/gm)].map((m) => m[1])
    assert.deepEqual(fromBuild.sort(), ['.build', 'node_modules', 'package.json'])
    assert.doesNotMatch(finalStage, /^COPY (?!--from=build)/m, 'no source copied into the final image')
  })

  test('what the image runs imports production dependencies only', async () => {
    await buildWorkers()
    const entrypoints = [...WORKERS.map(builtEntrypoint), '.build/scripts/provision.js', '.build/workers/runtime/healthcheck.js']
    for (const entry of entrypoints) {
      assert.ok(existsSync(join(root, entry)), `${entry} is built`)
      for (const [file, packages] of builtGraph(entry)) {
        for (const name of packages.map(packageOf)) {
          assert.ok(pkg.dependencies[name], `${file} imports ${name}, which is not a production dependency (devDependencies: ${Boolean(pkg.devDependencies[name])})`)
        }
      }
    }
  })

  test('the image runs as its own user and checks its health on /readyz', () => {
    const user = /^USER (\S+)$/m.exec(finalStage)?.[1]
    assert.ok(user && !['root', '0', '0:0'].includes(user), `USER ${user}`)
    assert.ok(finalStage.indexOf('USER ') < finalStage.indexOf('CMD '), 'the user is set before CMD')
    assert.match(finalStage, /^RUN mkdir -p \/data && chown node:node \/data$/m, 'the data volume is the user\'s')
    const check = /^HEALTHCHECK (.*)CMD \[(.*)\]$/m.exec(finalStage)
    assert.ok(check, 'a HEALTHCHECK')
    assert.equal(check[2], '"node", ".build/workers/runtime/healthcheck.js"')
  })

  test('the health check passes on ready and standby, fails on not ready and on no answer', async () => {
    let answer = { status: 200, body: { status: 'ready' } }
    const server = createServer((request, response) => {
      assert.equal(request.url, '/readyz')
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const check = (env: Record<string, string>) =>
      run(process.execPath, ['--import', 'tsx', 'workers/runtime/healthcheck.ts'], { cwd: root, env: { ...process.env, WORKER: 'billing', ATES_BILLING_PORT: String(port), ...env } }).then(
        () => 0,
        (error: { code: number }) => error.code,
      )
    try {
      assert.equal(await check({}), 0)
      answer = { status: 503, body: { status: 'standby' } }
      assert.equal(await check({}), 0)
      answer = { status: 503, body: { status: 'not_ready' } }
      assert.equal(await check({}), 1)
      assert.equal(await check({ WORKER: 'nobody' }), 1)
    } finally {
      server.close()
    }
    assert.equal(await check({}), 1, 'nothing listening')
  })

  test('compose checks every service\'s health and starts each once what it needs is healthy', () => {
    const nats = all.get('nats')!
    assert.ok(nats.some((l) => /^ {6}test: \["CMD", "wget", .*"http:\/\/127\.0\.0\.1:8222\/healthz"\]$/.test(l)), 'NATS answers its /healthz')
    assert.match(field(nats, 'command') ?? '', /"-m", "8222"/, 'with its monitoring port on')
    const anchor = topLevel('x-worker')
    assert.ok(anchor.includes('  healthcheck:'))
    assert.ok(anchor.includes('    test: ["CMD", "node", ".build/workers/runtime/healthcheck.js"]'), 'the image\'s check, for every worker')
    assert.deepEqual(conditions(all.get('provision')!, ' {6}'), { nats: 'service_healthy' })
    const first = conditions(anchor, ' {4}')
    const afterAuth = conditions(topLevel('x-after-auth'), ' {2}')
    assert.deepEqual(first, { nats: 'service_healthy', provision: 'service_completed_successfully' })
    assert.deepEqual(afterAuth, { ...first, auth: 'service_healthy' })
    for (const worker of WORKERS) {
      const block = all.get(worker)!
      assert.ok(block.includes('    <<: *worker'), `${worker} has the worker's health check`)
      const own = field(block, 'depends_on')
      if (worker === 'auth') assert.equal(own, undefined, 'auth waits for NATS and the streams only')
      else assert.equal(own, '*after-auth', `${worker} waits for auth to be healthy (its keys)`)
    }
  })

  test('deploy/.env.example lists every variable compose reads, each with a value nats-server takes', () => {
    const example = readFileSync(join(deploy, '.env.example'), 'utf8')
    const listed = new Map([...example.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]))
    const used = new Set([...compose.matchAll(/\$\{(\w+)/g)].map((m) => m[1]!))
    assert.deepEqual([...listed.keys()].sort(), [...used].sort())
    for (const [name, value] of listed) assert.match(value, /^[A-Za-z][A-Za-z0-9]*$/, `${name}: a letter first, then letters and digits`)
    assert.match(readFileSync(join(root, '.gitignore'), 'utf8'), /^deploy\/\.env$/m, 'the real one is not committed')
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
