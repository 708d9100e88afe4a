// tasks' own SQLite: the tasks, and a replica of the accounts (from accounts.* events).
import type { Task } from '../../contracts/http/tasks.ts'
import type { Role } from '../runtime/auth.ts'
import type { Cursor } from '../runtime/cursor.ts'
import { snapshotUpsert } from '../runtime/replica.ts'
import type { Migration, Store } from '../runtime/store.ts'
import type { Assignable, OpenTask, TaskAssigned, TaskCompleted, TaskCreated } from './domain.ts'

export type DB = {
  accounts: { account_id: string; name: string; role: Role; active: number; eligible: number; as_of: string }
  tasks: {
    seq: number
    task_id: string
    title: string
    jira_id: string | null
    description: string
    status: 'open' | 'completed'
    assignee_id: string
    created_at: string
    completed_at: string | null
  }
}

export const migrations: Array<Migration<DB>> = [
  {
    name: 'tasks_001',
    up: `
      CREATE TABLE accounts (
        account_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        active INTEGER NOT NULL,
        eligible INTEGER NOT NULL,
        as_of TEXT NOT NULL
      );
      CREATE INDEX accounts_eligible ON accounts (eligible, account_id);
      CREATE TABLE tasks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        jira_id TEXT,
        description TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'completed')),
        assignee_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        completed_at TEXT
      );
      CREATE INDEX tasks_assignee ON tasks (assignee_id, status, seq);
      CREATE INDEX tasks_status ON tasks (status, seq);
    `,
  },
  {
    // An assignee's tasks of every status, newest first, read a page from the index instead of
    // reading all of them and sorting.
    name: 'tasks_002',
    up: 'CREATE INDEX tasks_assignee_seq ON tasks (assignee_id, seq)',
  },
  {
    // A task's state is what the TASKS stream says of it, so a tasks instance taking over
    // rebuilds it from there; who created a task is not in the events, and nothing showed it.
    name: 'tasks_003_state_from_events',
    up: 'ALTER TABLE tasks DROP COLUMN created_by',
  },
]

export type TaskRow = DB['tasks']
/** A task as the API shows it (contracts/http/tasks.ts). */
export type TaskView = Task

// Every new task draws from all eligible accounts: with 10k of them, reading the list per task
// cost more than the rest of the create. It is kept per store and dropped whenever an accounts.*
// event touches the replica (the next read, after that commit or rollback, sees the table).
const eligibleCache = new WeakMap<Store<DB>, readonly string[]>()

export function eligibleIds(store: Store<DB>): readonly string[] {
  let ids = eligibleCache.get(store)
  if (!ids) {
    ids = store.prepare('SELECT account_id FROM accounts WHERE eligible = 1 ORDER BY account_id').pluck().all() as string[]
    eligibleCache.set(store, ids)
  }
  return ids
}

/** Writes an account snapshot into the replica (the newest wins); the next draw reads the eligible accounts again. */
export function saveAccount(store: Store<DB>, account: Assignable & { name: string }, eligible: boolean, asOf: string): void {
  store.prepare(snapshotUpsert('accounts', 'account_id', ['name', 'role', 'active', 'eligible'])).run(account.account_id, account.name, account.role, account.active ? 1 : 0, eligible ? 1 : 0, asOf)
  eligibleCache.delete(store)
}

/** A new task, open, with its first assignee (a task already there is left as it is). */
export function insertTask(store: Store<DB>, created: TaskCreated): void {
  store
    .prepare(
      `INSERT INTO tasks (task_id, title, jira_id, description, status, assignee_id, created_at)
       VALUES (?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (task_id) DO NOTHING`,
    )
    .run(created.task_id, created.title, created.jira_id, created.description, created.assignee_id, created.created_at)
}

export function assignTask(store: Store<DB>, assigned: Pick<TaskAssigned, 'task_id' | 'assignee_id'>): void {
  store.prepare('UPDATE tasks SET assignee_id = ? WHERE task_id = ?').run(assigned.assignee_id, assigned.task_id)
}

export function completeTask(store: Store<DB>, completed: TaskCompleted): void {
  store.prepare("UPDATE tasks SET status = 'completed', completed_at = ? WHERE task_id = ?").run(completed.completed_at, completed.task_id)
}

/** One task with its assignee's name. Every created task is read back through it: one prepared statement. */
export function findTask(store: Store<DB>, id: string): TaskView | undefined {
  return store
    .prepare(
      `SELECT t.task_id, t.title, t.jira_id, t.description, t.status, t.assignee_id, t.created_at, t.completed_at, a.name AS assignee_name
       FROM tasks t LEFT JOIN accounts a ON a.account_id = t.assignee_id WHERE t.task_id = ?`,
    )
    .get(id) as TaskView | undefined
}

export type ListFilter = { assignee?: string; status?: 'open' | 'completed'; limit: number; cursor?: Cursor }

// A list is one of eight shapes (which filters it has); each is built and compiled once and
// then run as a prepared statement, instead of being built again on every read.
const listQueries = new Map<string, string>()

/** The SQL of a list of this shape, without its limit; its parameters are listTasks'. */
export function listQuery(store: Store<DB>, filter: ListFilter): string {
  const shape = `${filter.assignee ? 'a' : ''}${filter.status ? 's' : ''}${filter.cursor ? 'c' : ''}`
  let sql = listQueries.get(shape)
  if (sql === undefined) {
    let query = store.db
      .selectFrom('tasks')
      .leftJoin('accounts', 'accounts.account_id', 'tasks.assignee_id')
      .select(['seq', 'task_id', 'title', 'jira_id', 'description', 'status', 'assignee_id', 'created_at', 'completed_at', 'accounts.name as assignee_name'])
    // The order of these conditions is the order of listTasks' parameters; the select list's is ListRow's.
    if (filter.assignee) query = query.where('assignee_id', '=', filter.assignee)
    if (filter.status) query = query.where('status', '=', filter.status)
    if (filter.cursor) query = query.where('seq', '<', filter.cursor.before)
    sql = query.orderBy('seq', 'desc').compile().sql
    listQueries.set(shape, sql)
  }
  return sql
}

/** Newest first, a page at a time. */
export function listTasks(store: Store<DB>, filter: ListFilter): { tasks: TaskView[]; next: Cursor | null } {
  const parameters: Array<string | number> = []
  if (filter.assignee) parameters.push(filter.assignee)
  if (filter.status) parameters.push(filter.status)
  if (filter.cursor) parameters.push(filter.cursor.before)
  // Rows as arrays, each made into a view by one literal: objects with the seq taken out by a
  // rest pattern cost a read more than its query.
  const rows = store.limited(listQuery(store, filter), filter.limit + 1).raw(true).all(...parameters) as ListRow[]
  const count = Math.min(rows.length, filter.limit)
  const tasks = new Array<TaskView>(count)
  for (let i = 0; i < count; i++) {
    const [, task_id, title, jira_id, description, status, assignee_id, created_at, completed_at, assignee_name] = rows[i]!
    tasks[i] = { task_id, title, jira_id, description, status, assignee_id, created_at, completed_at, assignee_name }
  }
  const next = rows.length > filter.limit ? { before: rows[count - 1]![0] } : null
  return { tasks, next }
}

/** A row of listQuery, in the order of its select list. */
type ListRow = [
  seq: number,
  task_id: string,
  title: string,
  jira_id: string | null,
  description: string,
  status: TaskRow['status'],
  assignee_id: string,
  created_at: string,
  completed_at: string | null,
  assignee_name: string | null,
]

/**
 * Open tasks with their current assignee, oldest first, a page at a time: those after `afterSeq`.
 * A reassignment reads them page by page, so 100k open tasks are never in memory at once.
 */
export function openTasksAfter(store: Store<DB>, afterSeq: number, limit: number): { tasks: OpenTask[]; last: number | undefined } {
  const rows = store
    .limited("SELECT task_id, assignee_id, seq FROM tasks WHERE status = 'open' AND seq > ? ORDER BY seq", limit)
    .raw(true)
    .all(afterSeq) as Array<[task_id: string, assignee_id: string, seq: number]>
  return { tasks: rows.map(([taskId, assignee]) => [taskId, assignee] as const), last: rows.at(-1)?.[2] }
}

export function countOpen(store: Store<DB>): number {
  return store.prepare("SELECT count(*) FROM tasks WHERE status = 'open'").pluck().get() as number
}
