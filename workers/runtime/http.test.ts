// Where a request comes from, as login throttling sees it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Hono } from 'hono'
import { clientAddresses } from './http.ts'
import { ConfigError, loadConfig } from './config.ts'

async function seenFrom(trustedProxies: string[], peer: string, forwardedFor?: string): Promise<string> {
  const app = new Hono()
  const clientOf = clientAddresses(trustedProxies)
  app.get('/', (c) => c.text(clientOf(c)))
  const headers: Record<string, string> = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }
  // @hono/node-server hands every request its Node request as env.incoming.
  const response = await app.request('/', { headers }, { incoming: { socket: { remoteAddress: peer } } })
  return response.text()
}

test('without trusted proxies the peer is the client, whatever X-Forwarded-For claims', async () => {
  assert.equal(await seenFrom([], '203.0.113.7', '198.51.100.1'), '203.0.113.7')
  assert.equal(await seenFrom([], '::ffff:203.0.113.7'), '203.0.113.7', 'an IPv4 peer on a dual-stack socket')
})

test("only a trusted proxy's X-Forwarded-For counts, read from the right up to the first untrusted hop", async () => {
  const proxies = loadConfig({ ATES_TRUSTED_PROXIES: '10.0.0.1, 172.16.0.0/12' }).trustedProxies
  assert.equal(await seenFrom(proxies, '10.0.0.1', '198.51.100.1'), '198.51.100.1')
  assert.equal(await seenFrom(proxies, '10.0.0.1', '6.6.6.6, 198.51.100.1, 172.20.1.1'), '198.51.100.1', 'a hop the client wrote itself is not believed')
  assert.equal(await seenFrom(proxies, '10.0.0.2', '198.51.100.1'), '10.0.0.2', 'a peer that is not a trusted proxy')
  assert.equal(await seenFrom(proxies, '10.0.0.1'), '10.0.0.1', 'a trusted proxy that forwarded nothing')
  assert.equal(await seenFrom(proxies, '10.0.0.1', 'garbage, 198.51.100.1'), '198.51.100.1')
  assert.equal(await seenFrom(proxies, '10.0.0.1', 'not-an-address'), '10.0.0.1')
  assert.equal(await seenFrom(['::1'], '::1', '2001:db8::7'), '2001:db8::7')
})

test('ATES_TRUSTED_PROXIES takes addresses and CIDR ranges only', () => {
  assert.deepEqual(loadConfig({}).trustedProxies, [])
  assert.deepEqual(loadConfig({ ATES_TRUSTED_PROXIES: ' 10.0.0.1 ,fd00::/8' }).trustedProxies, ['10.0.0.1', 'fd00::/8'])
  for (const bad of ['proxy.local', '10.0.0.0/33', '10.0.0.1/8/1', '10.0.0.0/x']) {
    assert.throws(() => loadConfig({ ATES_TRUSTED_PROXIES: bad }), ConfigError, bad)
  }
})

test('ATES_LEASE_TTL shorter than the margin a holder keeps is refused at start, with the least that works', () => {
  assert.equal(loadConfig({}).leaseTtlSeconds, 8)
  assert.equal(loadConfig({ ATES_LEASE_TTL: '3s' }).leaseTtlSeconds, 3)
  for (const bad of ['0', '1s', '2s']) assert.throws(() => loadConfig({ ATES_LEASE_TTL: bad }), /ATES_LEASE_TTL must be at least 3s/, bad)
})
