// Replicas of another worker's data built from its CUD events (accounts.* carry a full
// snapshot): each event is an upsert, and the newest snapshot wins. An event redelivered after
// a crash may arrive behind a newer one, so a snapshot older than the stored one (by its
// event time, kept in as_of) changes nothing.

/**
 * The upsert of a snapshot into `table`: parameters are the key, then `columns` in order, then
 * as_of. A row made before any snapshot arrived (as_of NULL, a placeholder) takes the first one.
 */
export function snapshotUpsert(table: string, key: string, columns: readonly string[]): string {
  const all = [key, ...columns, 'as_of']
  const set = [...columns, 'as_of'].map((column) => `${column} = excluded.${column}`).join(', ')
  return `INSERT INTO ${table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')})
    ON CONFLICT (${key}) DO UPDATE SET ${set}
    WHERE ${table}.as_of IS NULL OR excluded.as_of >= ${table}.as_of`
}
