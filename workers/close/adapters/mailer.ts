// One e-mail per payout, to the account holder: through SMTP when ATES_SMTP_URL is set,
// otherwise as a log line. Mails wait in a table, so a failed send is retried with growing
// delays, never lost.
import { createTransport, type Transporter } from 'nodemailer'
import { backoff } from '../../runtime/backoff.ts'
import type { Ctx } from '../../runtime/worker.ts'
import { mailText } from '../domain.ts'
import { type DB, type DueMail, dueMails, markFailed, markSent } from '../store.ts'

const RETRY = { firstMs: 1000, maxMs: 10 * 60_000 }

export class Mailer {
  private readonly transport: Transporter | undefined
  private timer: NodeJS.Timeout | undefined
  private sending = false

  constructor(private readonly ctx: Ctx<DB>) {
    this.transport = ctx.config.smtpUrl ? createTransport(ctx.config.smtpUrl) : undefined
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

  /** Sends what is due; a database that fails now is tried again at the next round. */
  async sendDue(): Promise<void> {
    if (this.sending) return
    this.sending = true
    try {
      for (const mail of dueMails(this.ctx.store, this.ctx.now().toISOString())) await this.send(mail)
    } catch (error) {
      this.ctx.log.warn('payout mails not sent this round', { error })
    } finally {
      this.sending = false
    }
  }

  private async send(mail: DueMail): Promise<void> {
    const { store } = this.ctx
    try {
      if (!mail.email) throw new Error('the account e-mail is not known yet')
      const { subject, text } = mailText(mail.name ?? 'popug', mail.business_day, mail.amount)
      if (this.transport) await this.transport.sendMail({ from: 'aTES accounting <accounting@ates.local>', to: mail.email, subject, text })
      else this.ctx.log.info('payout mail', { to: mail.email, subject })
      const sentAt = this.ctx.now().toISOString()
      store.tx(() => {
        markSent(store, mail.transaction_id, sentAt)
        // Told on the CLOSE stream, so a close instance taking over does not send it again.
        this.ctx.outbox.emit('close.payout_mailed', { transaction_id: mail.transaction_id, account_id: mail.account_id, business_day: mail.business_day, amount: mail.amount, sent_at: sentAt })
      })
    } catch (error) {
      const next = new Date(this.ctx.now().getTime() + backoff(mail.attempts + 1, RETRY)).toISOString()
      markFailed(store, mail.transaction_id, String((error as Error).message), next)
      this.ctx.log.warn('payout mail failed, will retry', { to: mail.email, error, attempts: mail.attempts + 1 })
    }
  }
}
