import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { startBalancer } from './balancer.ts'

/** An instance of a worker, as the balancer sees it: its /readyz and its answer to everything else. */
async function instance(ready: { status: number; body: object }, answer: { status: number; headers?: Record<string, string>; body: object }): Promise<{ url: string; server: Server; hits: number }> {
  const made = { url: '', server: undefined as unknown as Server, hits: 0 }
  made.server = createServer((req, res) => {
    const { status, headers, body } = req.url === '/readyz' ? { ...ready, headers: {} } : (made.hits++, answer)
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => made.server.listen(0, '127.0.0.1', resolve))
  made.url = `http://127.0.0.1:${(made.server.address() as AddressInfo).port}`
  return made
}

const servers: Server[] = []
after(() => {
  for (const server of servers) server.close()
})

test('a request an instance turned away while catching up goes to another instance', async () => {
  const catching = await instance(
    { status: 503, body: { status: 'not_ready', catching_up: { events: { 'analytics-a-billing': 40 } } } },
    { status: 503, headers: { 'ates-catching-up': '1', 'retry-after': '1' }, body: { error: { code: 'catching_up', message: 'catching up' } } },
  )
  const upToDate = await instance({ status: 200, body: { status: 'ready' } }, { status: 200, body: { answered: 'b' } })
  servers.push(catching.server, upToDate.server)
  const balancer = await startBalancer({ port: 0, host: '127.0.0.1', targets: [catching.url, upToDate.url] })
  try {
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`${balancer.url}/api/analytics/today`)
      assert.equal(response.status, 200)
      assert.deepEqual(await response.json(), { answered: 'b' })
    }
    assert.ok(catching.hits > 0, 'the catching-up instance was tried too (it is not a standby)')
    assert.equal(upToDate.hits, 4)
  } finally {
    await balancer.stop()
  }
})
