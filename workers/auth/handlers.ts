// auth consumes nothing; an auth instance becoming active first brings back what the AUTH
// stream holds of auth's own state (accounts with their beak hashes, signing keys), so a
// standby on another machine takes over with every account and key.
import type { Envelope } from '../../contracts/envelope.ts'
import type { Ctx } from '../runtime/worker.ts'
import { type DB, insertSigningKey, restoreAccount } from './store.ts'

export async function restore(ctx: Ctx<DB>): Promise<void> {
  const read = await ctx.readBack((events) =>
    ctx.store.tx(() => {
      for (const event of events) {
        if (event.event_name === 'auth.account_saved') {
          const { active, access_changed_at, ...record } = (event as Envelope<'auth.account_saved'>).data
          // Saved before auth kept the moment of the last change of role or activity: none known.
          restoreAccount(ctx.store, { ...record, active: active ? 1 : 0, access_changed_at: access_changed_at ?? 0 })
        } else if (event.event_name === 'auth.signing_key_added') {
          insertSigningKey(ctx.store, (event as Envelope<'auth.signing_key_added'>).data)
        }
      }
    }),
  )
  if (read > 0) ctx.log.info("auth's state brought up to date from the AUTH stream", { events: read })
}
