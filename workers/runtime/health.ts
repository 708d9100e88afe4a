// What keeps a worker from doing its job right now, for /readyz, /metrics and the logs: an
// infrastructure fault (the database locked, full or failing; the broker's storage filling) is
// reported here while it lasts, and cleared when the thing works again. It is not an event's
// fault: nothing goes to a dead-letter queue for it.
import type { Logger } from './log.ts'
import type { Metrics } from './metrics.ts'

/** SQLite's and the operating system's codes for a database that cannot do its work now. */
const INFRASTRUCTURE_CODES = /^(SQLITE_(BUSY|LOCKED|FULL|IOERR|CORRUPT|NOTADB|CANTOPEN|READONLY|NOMEM|PROTOCOL|AUTH)|ENOSPC|EIO|EROFS|EDQUOT|EMFILE)/

/**
 * Whether an error is the infrastructure's (retry until it works again) rather than a handler's
 * or a request's: SQLite BUSY, LOCKED, FULL, IOERR, CORRUPT…, a full or failing disk, a database
 * that is not open.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && INFRASTRUCTURE_CODES.test(code)) return true
  return /database connection is not open|disk I\/O error|database or disk is full|database is locked/i.test(error.message)
}

/** A short reason for a fault: its code and message. */
export function describeFault(error: unknown): string {
  const code = (error as { code?: unknown })?.code
  const message = error instanceof Error ? error.message : String(error)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

export class Health {
  private readonly problems = new Map<string, string>()
  private readonly warnings = new Map<string, string>()
  private readonly gauge

  constructor(
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.gauge = metrics.gauge('ates_worker_faults', 'Infrastructure faults a worker has right now, by component (1 while it lasts)')
  }

  /** A component cannot work; logged once when it starts failing or its reason changes. */
  fail(component: string, reason: string): void {
    if (this.problems.get(component) !== reason) this.log.error('infrastructure fault: retrying until it works again', { component, reason })
    this.problems.set(component, reason)
    this.gauge.set({ component }, 1)
  }

  /** The component works again. */
  ok(component: string): void {
    if (!this.problems.has(component)) return
    this.problems.delete(component)
    this.gauge.set({ component }, 0)
    this.log.info('infrastructure fault over', { component })
  }

  /** Something to watch that does not stop the worker (storage filling). */
  warn(topic: string, message: string | undefined): void {
    if (message === undefined) {
      this.warnings.delete(topic)
      return
    }
    if (this.warnings.get(topic) !== message) this.log.warn(message, { topic })
    this.warnings.set(topic, message)
  }

  get faults(): Record<string, string> {
    return Object.fromEntries(this.problems)
  }

  get notices(): string[] {
    return [...this.warnings.values()]
  }
}
