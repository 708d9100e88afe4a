// Growing delays between attempts: the first after `firstMs`, each next one twice as long, at
// most `maxMs`. The consumer's retries, the outbox relay's and the payout mails' use it.

export type Backoff = { firstMs: number; maxMs: number }

/** The delay before attempt n + 1 after attempt n (n ≥ 1) failed. */
export function backoff(attempt: number, { firstMs, maxMs }: Backoff): number {
  return Math.min(firstMs * 2 ** Math.max(0, attempt - 1), maxMs)
}
