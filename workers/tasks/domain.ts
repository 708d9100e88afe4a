// tasks' decisions, pure: who may be assigned, the random draw, and what creating,
// reassigning and completing decide (the events, or a typed refusal). Randomness, time and
// ids come in as data; the store applies the events.
import type { Static } from 'typebox'
import { JIRA_ID_PATTERN, type Role, TASK_LIMITS } from '../../contracts/common.ts'
import { splitJiraId } from '../../contracts/jira.ts'
import type { EventData } from '../../contracts/registry.ts'
import { isRefusal } from '../runtime/refusal.ts'

export { isRefusal }

export type Random = () => number
export type Assignable = { account_id: string; role: Static<typeof Role>; active: boolean }

/** Managers and admins never get tasks; inactive accounts neither (SPEC T4). */
export function isEligible(account: Assignable): boolean {
  return account.active && account.role !== 'admin' && account.role !== 'manager'
}

/** A uniform draw over the eligible ids (given in a stable order); random() is in [0, 1). */
export function draw(eligible: readonly string[], random: Random): string | undefined {
  if (eligible.length === 0) return undefined
  return eligible[Math.min(eligible.length - 1, Math.floor(random() * eligible.length))]
}

const JIRA_ID = new RegExp(JIRA_ID_PATTERN)

export type Refusal =
  | { kind: 'invalid_title'; message: string }
  | { kind: 'invalid_jira_id'; message: string }
  | { kind: 'invalid_description'; message: string }
  | { kind: 'no_assignee' }
  | { kind: 'not_found' }
  | { kind: 'not_assignee' }
  | { kind: 'already_completed' }

export type CreateTask = { title: string; jira_id?: string | null | undefined; description?: string | undefined }
export type TaskCreated = EventData<'tasks.created'>
export type TaskAssigned = EventData<'tasks.assigned'>
export type TaskCompleted = EventData<'tasks.completed'>

/**
 * The stored title never holds a jira id (SPEC T7): a leading one is split out into jira_id,
 * or dropped when it repeats the given jira_id; a different one there is refused.
 */
export function normalize(command: CreateTask): Pick<TaskCreated, 'title' | 'jira_id' | 'description'> | Refusal {
  const split = splitJiraId(command.title)
  const given = command.jira_id?.trim() || null
  if (given !== null && (given.length > TASK_LIMITS.jiraId || !JIRA_ID.test(given))) {
    return { kind: 'invalid_jira_id', message: 'jira_id looks like UBERPOP-42: capital letters, a dash, digits' }
  }
  if (given !== null && split.jira_id !== null && split.jira_id !== given) {
    return { kind: 'invalid_jira_id', message: `the title starts with ${split.jira_id} but jira_id is ${given}` }
  }
  if (split.title.length === 0) return { kind: 'invalid_title', message: 'the title needs words besides the jira id' }
  if (split.title.length > TASK_LIMITS.title) return { kind: 'invalid_title', message: `the title is longer than ${TASK_LIMITS.title} characters` }
  const description = command.description?.trim() ?? ''
  if (description.length > TASK_LIMITS.description) {
    return { kind: 'invalid_description', message: `the description is longer than ${TASK_LIMITS.description} characters` }
  }
  return { title: split.title, jira_id: given ?? split.jira_id, description }
}

/** Given the eligible accounts, creating a task decides tasks.created and its first tasks.assigned. */
export function decideCreate(
  command: CreateTask,
  given: { eligible: readonly string[]; random: Random; taskId: string; now: string },
): { created: TaskCreated; assigned: TaskAssigned } | Refusal {
  const task = normalize(command)
  if (isRefusal(task)) return task
  const assignee = draw(given.eligible, given.random)
  if (assignee === undefined) return { kind: 'no_assignee' }
  return {
    created: { task_id: given.taskId, ...task, assignee_id: assignee, created_at: given.now },
    assigned: { task_id: given.taskId, assignee_id: assignee, previous_assignee_id: null, assigned_at: given.now },
  }
}

export type OpenTask = readonly [task_id: string, assignee_id: string]

/**
 * Every open task gets a fresh draw; the same account may come again (SPEC T5). Calls `decided`
 * once per task in order, so 100k tasks need no intermediate list.
 */
export function decideReassign(
  open: readonly OpenTask[],
  given: { eligible: readonly string[]; random: Random; now: string },
  decided: (assigned: TaskAssigned) => void,
): { reassigned: number } | Refusal {
  if (open.length === 0) return { reassigned: 0 }
  if (given.eligible.length === 0) return { kind: 'no_assignee' }
  for (const [taskId, previous] of open) {
    decided({ task_id: taskId, assignee_id: draw(given.eligible, given.random)!, previous_assignee_id: previous, assigned_at: given.now })
  }
  return { reassigned: open.length }
}

export type TaskState = { status: 'open' | 'completed'; assignee_id: string }

/** Only the current assignee completes a task, and only once (SPEC T6). */
export function decideComplete(task: (TaskState & { task_id: string }) | undefined, caller: string, now: string): TaskCompleted | Refusal {
  if (!task) return { kind: 'not_found' }
  if (task.assignee_id !== caller) return { kind: 'not_assignee' }
  if (task.status === 'completed') return { kind: 'already_completed' }
  return { task_id: task.task_id, assignee_id: caller, completed_at: now }
}
