// What `make replay` may rebuild, and how it shows that the rebuilt database is the same.
import Database from 'better-sqlite3'
import type { WorkerName } from '../../workers/runtime/config.ts'

/** Why a worker's database cannot be rebuilt from the streams (undefined: it can). */
export const NOT_REBUILDABLE: Record<WorkerName, string | undefined> = {
  analytics: undefined,
  billing: undefined,
  audit: undefined,
  auth: undefined,
  tasks: undefined,
  close: "close's record of its own requests (who asked, how often) is in its database alone",
}

/** Bookkeeping of the runtime rather than what the worker knows (the audit's dirty: what is left to judge). */
const BOOKKEEPING = new Set(['inbox', 'outbox', '_migrations', '_health', '_positions', '_runtime', 'dirty'])

export type TableComparison = { table: string; before: number; after: number; same: boolean }

/** Every table of the worker's own, row for row, in the old file and the rebuilt one. */
export function compareDatabases(beforeFile: string, afterFile: string): TableComparison[] {
  const before = new Database(beforeFile, { readonly: true, fileMustExist: true })
  const after = new Database(afterFile, { readonly: true, fileMustExist: true })
  try {
    const tables = before
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[]
    return tables
      .filter((table) => !BOOKKEEPING.has(table))
      .map((table) => {
        const rowsOf = (db: Database.Database) => {
          const columns = db.prepare(`SELECT count(*) FROM pragma_table_info(?)`).pluck().get(table) as number
          if (columns === 0) return []
          const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ')
          return (db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).raw().all() as unknown[][]).map((row) => JSON.stringify(row))
        }
        const old = rowsOf(before)
        const rebuilt = rowsOf(after)
        return { table, before: old.length, after: rebuilt.length, same: old.length === rebuilt.length && old.every((row, i) => row === rebuilt[i]) }
      })
  } finally {
    before.close()
    after.close()
  }
}
