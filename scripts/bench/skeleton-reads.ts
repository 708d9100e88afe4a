// What each process of the pipeline's skeleton reads: the streams and filters the workers of
// the pipeline read the same events through (billing tasks.>, analytics tasks.created and
// billing.>, the audit everything), on scratch streams of their own.
export const SKELETON_STREAMS = { SK_TASKS: 'sk_tasks.>', SK_BILLING: 'sk_billing.>' } as const
export type SkeletonStream = keyof typeof SKELETON_STREAMS
export const SKELETON_ROLES = ['tasks', 'billing', 'analytics', 'audit'] as const
export type SkeletonRole = (typeof SKELETON_ROLES)[number]

export const SKELETON_READS: Record<SkeletonRole, ReadonlyArray<{ stream: SkeletonStream; filter: string }>> = {
  tasks: [],
  billing: [{ stream: 'SK_TASKS', filter: 'sk_tasks.>' }],
  analytics: [
    { stream: 'SK_TASKS', filter: 'sk_tasks.created' },
    { stream: 'SK_BILLING', filter: 'sk_billing.>' },
  ],
  audit: [
    { stream: 'SK_TASKS', filter: 'sk_tasks.>' },
    { stream: 'SK_BILLING', filter: 'sk_billing.>' },
  ],
}

export const skeletonDurable = (role: SkeletonRole, filter: string): string => `sk-${role}-${filter.replaceAll('.', '-').replace('>', 'all')}`
