// tasks' HTTP API (SPEC §4): request bodies, query parameters, answers, and its operations.
import Type, { type Static } from 'typebox'
import { RAW_TITLE_MAX, TASK_LIMITS, Timestamp, Uuid } from '../common.ts'
import { Nullable, type Operation, type WorkerApi } from './openapi.ts'
import { OPS_OPERATIONS } from './ops.ts'
import { NextCursor, paging } from './paging.ts'

export const CreateTaskBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: RAW_TITLE_MAX, description: 'a leading [UBERPOP-42] or UBERPOP-42 — becomes the jira_id when none is given' }),
    jira_id: Type.Optional(Nullable(Type.String({ maxLength: TASK_LIMITS.jiraId }))),
    description: Type.Optional(Type.String({ maxLength: TASK_LIMITS.description })),
  },
  { additionalProperties: false },
)
export type CreateTaskBody = Static<typeof CreateTaskBody>

export const TaskStatus = Type.Union([Type.Literal('open'), Type.Literal('completed')])

export const ListTasksQuery = Type.Object(
  {
    assignee: Type.Optional(Type.Union([Type.Literal('me'), Type.String({ format: 'uuid' })], { description: "me, or an account's id" })),
    status: Type.Optional(TaskStatus),
    ...paging,
  },
  { additionalProperties: false },
)
export type ListTasksQuery = Static<typeof ListTasksQuery>

export const Task = Type.Object(
  {
    task_id: Uuid,
    title: Type.String(),
    jira_id: Nullable(Type.String()),
    description: Type.String(),
    status: TaskStatus,
    assignee_id: Uuid,
    assignee_name: Nullable(Type.String()),
    created_at: Timestamp,
    completed_at: Nullable(Timestamp),
  },
  { additionalProperties: false },
)
export type Task = Static<typeof Task>

export const TaskPage = Type.Object({ tasks: Type.Array(Task, { description: 'newest first' }), next_cursor: NextCursor }, { additionalProperties: false })
export type TaskPage = Static<typeof TaskPage>

export const Reassigned = Type.Object({ reassigned: Type.Integer({ minimum: 0, description: 'open tasks that got a new draw' }) }, { additionalProperties: false })

const TaskId = Type.Object({ id: Type.String({ description: "the task's id" }) })

const NewTaskForm = Type.Object({ title: Type.String(), jira_id: Type.Optional(Type.String()), description: Type.Optional(Type.String()) })

const operations: Operation[] = [
  {
    id: 'createTask',
    method: 'post',
    path: '/api/tasks',
    tag: 'tasks',
    summary: 'Create a task; it goes to a random popug',
    access: 'account',
    body: CreateTaskBody,
    responses: { 201: { description: 'the task, with its first assignee', json: Task } },
    errors: { 409: ['no_assignee'], 422: ['invalid_title', 'invalid_jira_id', 'invalid_description'] },
  },
  {
    id: 'listTasks',
    method: 'get',
    path: '/api/tasks',
    tag: 'tasks',
    summary: 'Tasks, newest first, a page at a time',
    access: 'account',
    query: ListTasksQuery,
    responses: { 200: { description: 'a page of tasks', json: TaskPage } },
    errors: { 422: ['invalid_cursor'] },
  },
  {
    id: 'getTask',
    method: 'get',
    path: '/api/tasks/:id',
    tag: 'tasks',
    summary: 'One task',
    access: 'account',
    params: TaskId,
    responses: { 200: { description: 'the task', json: Task } },
    errors: { 404: ['not_found'] },
  },
  {
    id: 'completeTask',
    method: 'post',
    path: '/api/tasks/:id/complete',
    tag: 'tasks',
    summary: 'Complete a task assigned to me',
    description: 'Only the current assignee, once. Takes no body.',
    access: 'account',
    params: TaskId,
    responses: { 200: { description: 'the task, completed', json: Task } },
    errors: { 403: ['not_assignee'], 404: ['not_found'], 409: ['already_completed'] },
  },
  {
    id: 'reassignTasks',
    method: 'post',
    path: '/api/tasks/reassign',
    tag: 'tasks',
    summary: 'Give every open task a new random assignee',
    description: 'Takes no body.',
    access: ['manager', 'admin'],
    responses: { 200: { description: 'how many open tasks were drawn again', json: Reassigned } },
    errors: { 409: ['no_assignee'] },
  },
  {
    id: 'dashboard',
    method: 'get',
    path: '/',
    tag: 'pages',
    summary: 'The task dashboard',
    access: 'account',
    responses: { 200: { description: 'the page', media: 'text/html' } },
    errors: { 422: ['invalid_cursor'] },
  },
  {
    id: 'createTaskForm',
    method: 'post',
    path: '/tasks',
    tag: 'pages',
    summary: "The dashboard's form for a new task",
    access: 'account',
    form: NewTaskForm,
    responses: { 303: { description: 'back to the dashboard, with what happened', redirect: true } },
  },
  {
    id: 'completeTaskForm',
    method: 'post',
    path: '/tasks/:id/complete',
    tag: 'pages',
    summary: "The dashboard's button that completes a task",
    access: 'account',
    params: TaskId,
    responses: { 303: { description: 'back to the dashboard, with what happened', redirect: true } },
  },
  {
    id: 'reassignPage',
    method: 'get',
    path: '/reassign',
    tag: 'pages',
    summary: 'Asks a manager to confirm a reshuffle',
    access: ['manager', 'admin'],
    responses: { 200: { description: 'the page', media: 'text/html' } },
  },
  {
    id: 'reassignForm',
    method: 'post',
    path: '/reassign',
    tag: 'pages',
    summary: 'Reshuffles the open tasks, from the confirmation page',
    access: ['manager', 'admin'],
    responses: { 303: { description: 'back to the dashboard, with how many were drawn again', redirect: true } },
  },
]

export const TASKS_API: WorkerApi = {
  worker: 'tasks',
  title: 'aTES tasks',
  description:
    'Tasks and who they are assigned to. Log in at auth (POST /api/login) and send the token as `Authorization: Bearer <token>`. Errors look like `{"error": {"code", "message"}}`.',
  operations: [...operations, ...OPS_OPERATIONS],
}
