// tasks' decisions, pure: who may be assigned, the random draw, what a new task looks
// like, who may complete it. Randomness comes in as a function.
import { splitJiraId } from '../../contracts/jira.ts'
import type { Role } from '../runtime/auth.ts'

export type Assignable = { account_id: string; role: Role; active: boolean }

/** Managers and admins never get tasks; inactive accounts neither (SPEC T2). */
export function isEligible(account: Assignable): boolean {
  return account.active && account.role !== 'admin' && account.role !== 'manager'
}

/** A uniform draw over the eligible ids (given in a stable order); random() is in [0, 1). */
export function draw(eligible: readonly string[], random: () => number): string | undefined {
  if (eligible.length === 0) return undefined
  return eligible[Math.min(eligible.length - 1, Math.floor(random() * eligible.length))]
}

export const JIRA_ID = /^[A-Z][A-Z0-9_]*-[0-9]+$/
export const TITLE_MAX = 200

export type NewTask = { title: string; jira_id: string | null; description: string }

export type Refusal =
  | { kind: 'invalid_title'; message: string }
  | { kind: 'invalid_jira_id'; message: string }
  | { kind: 'no_assignee' }
  | { kind: 'not_found' }
  | { kind: 'not_assignee' }
  | { kind: 'already_completed' }

/**
 * The stored title never holds a jira id (SPEC T7): a leading one is split out into jira_id,
 * or dropped when it repeats the given jira_id; a different one there is refused.
 */
export function newTask(input: { title: string; jira_id?: string | null | undefined; description?: string | undefined }): NewTask | Refusal {
  const split = splitJiraId(input.title)
  const given = input.jira_id?.trim() || null
  if (given !== null && !JIRA_ID.test(given)) {
    return { kind: 'invalid_jira_id', message: 'jira_id looks like UBERPOP-42: capital letters, a dash, digits' }
  }
  if (given !== null && split.jira_id !== null && split.jira_id !== given) {
    return { kind: 'invalid_jira_id', message: `the title starts with ${split.jira_id} but jira_id is ${given}` }
  }
  if (split.title.length === 0) return { kind: 'invalid_title', message: 'the title needs words besides the jira id' }
  if (split.title.length > TITLE_MAX) return { kind: 'invalid_title', message: `the title is longer than ${TITLE_MAX} characters` }
  return { title: split.title, jira_id: given ?? split.jira_id, description: input.description?.trim() ?? '' }
}

export type TaskState = { status: 'open' | 'completed'; assignee_id: string }

export function mayComplete(task: TaskState | undefined, caller: string): Refusal | undefined {
  if (!task) return { kind: 'not_found' }
  if (task.assignee_id !== caller) return { kind: 'not_assignee' }
  if (task.status === 'completed') return { kind: 'already_completed' }
  return undefined
}
