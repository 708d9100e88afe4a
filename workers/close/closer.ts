// Requests business-day closes from billing (through the outbox, with an id derived from
// the day so that two instances or a retry cannot close twice) and follows day_closed.
import { Cron } from 'croner'
import type { Handlers } from '../runtime/consumer.ts'
import { deterministicId } from '../runtime/ids.ts'
import { dayIn } from '../runtime/views/format.ts'
import type { WorkerContext } from '../runtime/worker.ts'
import { dayToClose, shouldRequest } from './domain.ts'
import type { DB } from './store.ts'

export type Ctx = WorkerContext<DB>

export class Closer {
  private cron: Cron | undefined

  constructor(private readonly ctx: Ctx) {}

  private get store() {
    return this.ctx.store
  }

  /** The day close first ran, remembered once. */
  firstDay(): string {
    const today = dayIn(this.ctx.config.tz, this.ctx.now())
    this.store.prepare("INSERT INTO meta (key, value) VALUES ('first_day', ?) ON CONFLICT DO NOTHING").run(today)
    return this.store.prepare("SELECT value FROM meta WHERE key = 'first_day'").pluck().get() as string
  }

  nextDay(): string {
    const last = this.store.prepare('SELECT max(business_day) FROM closes WHERE closed_at IS NOT NULL').pluck().get() as string | null
    return dayToClose(last ?? undefined, this.firstDay())
  }

  /** Requests the next day when it is due; returns the day requested, if any. */
  check(reason: 'catch_up' | 'schedule' | 'manual', by: string = reason): string | undefined {
    return this.store.tx(() => {
      const day = this.nextDay()
      const today = dayIn(this.ctx.config.tz, this.ctx.now())
      if (!shouldRequest(day, today, reason)) return undefined
      const already = this.store.prepare('SELECT requested_at FROM closes WHERE business_day = ?').pluck().get(day)
      if (already) return day
      const at = this.ctx.now().toISOString()
      this.store.prepare('INSERT INTO closes (business_day, requested_at, requested_by) VALUES (?, ?, ?) ON CONFLICT (business_day) DO UPDATE SET requested_at = excluded.requested_at, requested_by = excluded.requested_by').run(day, at, by)
      this.ctx.outbox.emit('billing.day_close_requested', { business_day: day }, { eventId: deterministicId('billing.day_close_requested', day) })
      this.ctx.log.info('day close requested', { business_day: day, reason })
      return day
    })
  }

  handlers(): Handlers {
    return {
      'billing.day_closed': (e) => {
        this.store
          .prepare(
            `INSERT INTO closes (business_day, closed_at, accounts_paid, total_paid, management_earnings) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (business_day) DO UPDATE SET closed_at = excluded.closed_at, accounts_paid = excluded.accounts_paid,
               total_paid = excluded.total_paid, management_earnings = excluded.management_earnings`,
          )
          .run(e.data.business_day, e.event_time, e.data.accounts_paid, e.data.total_paid, e.data.management_earnings)
        // Ask for the next ended day, if any (catch-up, one day per request).
        queueMicrotask(() => {
          try {
            this.check('catch_up')
          } catch (error) {
            this.ctx.log.error('close check failed', { error })
          }
        })
      },
    }
  }

  start(): { stop(): void } {
    this.check('catch_up')
    this.cron = new Cron(this.ctx.config.closeCron, { timezone: this.ctx.config.tz }, () => {
      this.check('schedule')
    })
    return { stop: () => this.cron?.stop() }
  }

  history() {
    return this.store.prepare('SELECT * FROM closes ORDER BY business_day DESC LIMIT 366').all() as Array<DB['closes']>
  }
}
