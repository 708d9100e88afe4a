// The audit page: a verdict, the differences by kind, and each difference with what it
// concerns (linked to billing's account page where there is one) and its events.
import type { Caller } from '../../runtime/auth.ts'
import { momentIn } from '../../runtime/views/format.ts'
import { Layout, type LayoutProps } from '../../runtime/views/layout.tsx'
import { Table } from '../../runtime/views/table.tsx'
import { type Kind, KIND_NAMES, KINDS, short } from '../domain.ts'
import type { Difference, Differences } from '../queries.ts'

export type AuditPageProps = { caller: Caller; urls: LayoutProps['urls']; tz: string; found: Differences; kind: Kind | undefined; now: Date }

function Concerns({ d, urls }: { d: Difference; urls: LayoutProps['urls'] }) {
  if (d.task_id) return <span title={d.task_id}>task {short(d.task_id)}</span>
  if (d.account_id) {
    return (
      <a href={`${urls.billing}/?account=${d.account_id}`} title={d.account_id}>
        account {short(d.account_id)}
        {d.day && <span class="muted"> {d.day}</span>}
      </a>
    )
  }
  return <a href={`${urls.billing}/?day=${d.business_day}`}>day {d.business_day}</a>
}

function Verdict({ found, tz, now }: { found: Differences; tz: string; now: Date }) {
  if (!found.caught_up_at) return <p class="notice">The audit is still reading the streams; nothing is judged until it has caught up once.</p>
  const behind = Math.round((now.getTime() - Date.parse(found.caught_up_at)) / 1000)
  const checked = `Checked through ${momentIn(tz, found.caught_up_at)}${behind > 5 ? ` (${behind} s ago: the audit is behind)` : ''}`
  const pending = found.pending > 0 ? `; ${found.pending} finding${found.pending === 1 ? '' : 's'} younger than ${found.settle_seconds} s may still resolve` : ''
  return found.total === 0 ? (
    <p class="notice">
      The money adds up: no differences. {checked}
      {pending}.
    </p>
  ) : (
    <p class="notice error" role="alert">
      {found.total} difference{found.total === 1 ? '' : 's'} between what happened and what was charged. {checked}
      {pending}.
    </p>
  )
}

export function AuditPage({ caller, urls, tz, found, kind, now }: AuditPageProps) {
  const kinds = KIND_NAMES.filter((k) => found.counts[k] > 0)
  return (
    <Layout title="Audit" caller={caller} current="audit" urls={urls}>
      <Verdict found={found} tz={tz} now={now} />
      {kinds.length > 0 && (
        <section>
          <h2>By kind</h2>
          <Table head={['Kind', 'Meaning', { label: 'Differences', num: true }]}>
            {kinds.map((k) => (
              <tr class={k === kind ? 'current' : undefined}>
                <td class="nowrap">
                  <a href={`/?kind=${k}`}>{k}</a>
                </td>
                <td>{KINDS[k].meaning}</td>
                <td class="num">{found.counts[k]}</td>
              </tr>
            ))}
          </Table>
        </section>
      )}
      {found.differences.length > 0 && (
        <section>
          <h2>{kind ? `Differences: ${kind}` : 'Differences'}</h2>
          {kind && <p><a href="/">Every kind</a></p>}
          <Table head={['Since', 'Kind', 'Concerns', 'What', 'Events']}>
            {found.differences.map((d) => (
              <tr>
                <td class="nowrap">{momentIn(tz, d.since)}</td>
                <td class="nowrap">{d.kind}</td>
                <td class="nowrap">
                  <Concerns d={d} urls={urls} />
                </td>
                <td>{d.message}</td>
                <td>
                  {d.events.map((e) => (
                    <div class="nowrap" title={e.event_id}>
                      {e.event_name} <span class="muted">{short(e.event_id)}</span>
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </Table>
        </section>
      )}
    </Layout>
  )
}
