// A table of rows under a row of headings: every list on every page.
import type { Child } from 'hono/jsx'

/** A heading; a number column is right-aligned. `false` leaves the column out. */
export type Column = string | { label: string; num: true } | false

export function Table({ head, children }: { head: readonly Column[]; children?: Child }) {
  return (
    <table>
      <thead>
        <tr>{head.map((column) => (column === false ? null : typeof column === 'string' ? <th>{column}</th> : <th class="num">{column.label}</th>))}</tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  )
}
