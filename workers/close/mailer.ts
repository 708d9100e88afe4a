// One e-mail per payout, to the account holder: through SMTP when ATES_SMTP_URL is set,
// otherwise as a log line. Mails wait in a table, so a failed send is retried, never lost,
// and a redelivered payout_made finds its mail already there.
import { createTransport, type Transporter } from 'nodemailer'
import type { Handlers } from '../runtime/consumer.ts'
import { dollars } from '../runtime/views/format.ts'
import type { WorkerContext } from '../runtime/worker.ts'
import type { DB } from './store.ts'

type Ctx = WorkerContext<DB>
type Due = DB['mails'] & { email: string | null; name: string | null }

export function mailText(name: string, day: string, cents: number) {
  return {
    subject: `aTES payout for ${day}: ${dollars(cents)}`,
    text: `Hello ${name},\n\nfor your work on ${day} you were paid ${dollars(cents)}.\n\n— aTES accounting\n`,
  }
}

export class Mailer {
  private readonly transport: Transporter | undefined
  private timer: NodeJS.Timeout | undefined
  private sending = false

  constructor(private readonly ctx: Ctx) {
    this.transport = ctx.config.smtpUrl ? createTransport(ctx.config.smtpUrl) : undefined
  }

  handlers(): Handlers {
    const insert = this.ctx.store.prepare(
      `INSERT INTO mails (transaction_id, account_id, business_day, amount, status, next_attempt_at)
       VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`,
    )
    return {
      'billing.payout_made': (e) => {
        insert.run(e.data.transaction_id, e.data.account_id, e.data.business_day, e.data.amount, e.event_time)
        setImmediate(() => void this.sendDue())
      },
    }
  }

  start(): { stop(): Promise<void> } {
    this.timer = setInterval(() => void this.sendDue(), 1000)
    return {
      stop: async () => {
        clearInterval(this.timer)
        while (this.sending) await new Promise((r) => setTimeout(r, 20))
      },
    }
  }

  async sendDue(): Promise<void> {
    if (this.sending) return
    this.sending = true
    try {
      const due = this.ctx.store
        .prepare(
          `SELECT m.*, a.email, a.name FROM mails m LEFT JOIN accounts a ON a.account_id = m.account_id
           WHERE m.status = 'pending' AND m.next_attempt_at <= ? ORDER BY m.next_attempt_at LIMIT 50`,
        )
        .all(this.ctx.now().toISOString()) as Due[]
      for (const mail of due) await this.send(mail)
    } finally {
      this.sending = false
    }
  }

  private async send(mail: Due): Promise<void> {
    const { store } = this.ctx
    try {
      if (!mail.email) throw new Error('the account e-mail is not known yet')
      const { subject, text } = mailText(mail.name ?? 'popug', mail.business_day, mail.amount)
      if (this.transport) await this.transport.sendMail({ from: 'aTES accounting <accounting@ates.local>', to: mail.email, subject, text })
      else this.ctx.log.info('payout mail', { to: mail.email, subject })
      store.prepare("UPDATE mails SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE transaction_id = ?").run(this.ctx.now().toISOString(), mail.transaction_id)
    } catch (error) {
      const delay = Math.min(1000 * 2 ** mail.attempts, 10 * 60_000)
      store
        .prepare('UPDATE mails SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE transaction_id = ?')
        .run(String((error as Error).message), new Date(this.ctx.now().getTime() + delay).toISOString(), mail.transaction_id)
      this.ctx.log.warn('payout mail failed, will retry', { to: mail.email, error, attempts: mail.attempts + 1 })
    }
  }
}
