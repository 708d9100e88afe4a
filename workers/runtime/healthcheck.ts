// The image's HEALTHCHECK (deploy/Dockerfile): GET /readyz of the worker this container runs
// (WORKER), on its port. Healthy when ready, and when a standby (the process works; another
// instance is the active one); unhealthy when not ready or not answering within 4 s.
import { loadConfig, WORKERS, type WorkerName } from './config.ts'

const worker = process.env.WORKER as WorkerName
if (!WORKERS.includes(worker)) {
  process.stderr.write(`WORKER must be one of ${WORKERS.join(', ')}\n`)
  process.exit(1)
}
const url = `http://127.0.0.1:${loadConfig().ports[worker]}/readyz`
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) })
  const { status } = (await response.json()) as { status?: string }
  if (!response.ok && status !== 'standby') process.stderr.write(`${url}: ${response.status} ${status ?? ''}\n`)
  process.exit(response.ok || status === 'standby' ? 0 : 1)
} catch (error) {
  process.stderr.write(`${url}: ${(error as Error).message}\n`)
  process.exit(1)
}
