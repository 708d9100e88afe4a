import type { Static } from 'typebox'
import type { TasksCreatedV1, TasksCreatedV2 } from './events/tasks.created.ts'
import { splitJiraId } from './jira.ts'

// Old versions are brought to the latest shape here, at the edge, so that
// domains only ever see one shape of each event.

/** tasks.created v1 → v2: split the jira id out of the title. */
export function upcastTasksCreatedV1(data: Static<typeof TasksCreatedV1>): Static<typeof TasksCreatedV2> {
  const split = splitJiraId(data.title)
  return {
    task_id: data.task_id,
    // A v1 title that was nothing but a jira id keeps no words of its own.
    title: split.title === '' ? '(untitled)' : split.title,
    jira_id: split.jira_id,
    description: data.description,
    assignee_id: data.assignee_id,
    created_at: data.created_at,
  }
}
