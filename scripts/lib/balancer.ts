// A small HTTP load balancer in front of the instances of one worker, as an operator would put
// one (nginx, HAProxy, a cloud balancer): it health-checks each instance's /readyz and sends
// requests to the active one — the instance that is not a standby — or, for a worker whose
// instances are all active (analytics, audit), to any ready one in turn. A request an instance
// turned away unprocessed (it is a standby: header ates-standby; it is catching up: header
// ates-catching-up; or it did not answer at all) goes to the next. `make cluster` runs one per worker; the availability tests do too.
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Balancer = { url: string; port: number; stop(): Promise<void> }

type Target = { url: string; state: 'active' | 'standby' | 'down' }

export async function startBalancer(options: { port: number; targets: string[]; host?: string }): Promise<Balancer> {
  const targets: Target[] = options.targets.map((url) => ({ url, state: 'down' }))
  let turn = 0

  const check = async (target: Target) => {
    try {
      const response = await fetch(`${target.url}/readyz`, { signal: AbortSignal.timeout(1000) })
      const body = (await response.json()) as { status?: string }
      target.state = body.status === 'standby' ? 'standby' : 'active'
    } catch {
      target.state = 'down'
    }
  }
  const checkAll = () => Promise.all(targets.map(check))
  await checkAll()
  const timer = setInterval(() => void checkAll(), 500)

  /** The targets to try, the active ones first (in turn), then the rest. */
  const order = () => {
    const active = targets.filter((t) => t.state === 'active')
    turn = (turn + 1) % Math.max(1, active.length)
    return [...active.slice(turn), ...active.slice(0, turn), ...targets.filter((t) => t.state !== 'active')]
  }

  const forward = (target: Target, req: IncomingMessage, body: Buffer) =>
    new Promise<IncomingMessage | undefined>((resolve) => {
      const url = new URL(req.url ?? '/', target.url)
      const out = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, resolve)
      out.on('error', () => resolve(undefined))
      out.end(body)
    })

  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    for (let attempt = 0; attempt < 20; attempt++) {
      for (const target of order()) {
        const answer = await forward(target, req, body)
        if (!answer) {
          target.state = 'down'
          continue
        }
        if (answer.headers['ates-standby']) {
          target.state = 'standby'
          answer.resume()
          continue
        }
        // The active instance is still bringing its database up to date: another may answer.
        if (answer.headers['ates-catching-up']) {
          answer.resume()
          continue
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        return
      }
      // No instance takes requests right now (one is taking over): wait a little and look again.
      await new Promise((resolve) => setTimeout(resolve, 500))
      await checkAll()
    }
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' })
    res.end(JSON.stringify({ error: { code: 'unavailable', message: 'no instance of this worker takes requests right now' } }))
  })
  await new Promise<void>((resolve) => server.listen(options.port, options.host ?? '0.0.0.0', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://localhost:${port}`,
    port,
    stop: async () => {
      clearInterval(timer)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
