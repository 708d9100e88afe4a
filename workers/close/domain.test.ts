// close's decisions, given billing's calendar events / when the schedule fires or an admin asks / then the ask.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { EventData } from '../../contracts/registry.ts'
import { deciderSpecification } from '../runtime/testing/decider.ts'
import { type Ask, type Calendar, closingTime, decideManual, decideScheduled, lastFiring, nextFiring, overdueSeconds, type Refusal, zoneRefusal } from './domain.ts'

type Event = { name: 'billing.day_opened'; data: EventData<'billing.day_opened'> } | { name: 'billing.day_closed'; data: Pick<EventData<'billing.day_closed'>, 'business_day'> }
type Command = { kind: 'firing' | 'manual'; at: string }

const schedule = { pattern: '0 0 * * *', timeZone: 'Europe/Berlin' }
const spec = deciderSpecification<Command, Calendar, Event, Ask | { request: string } | Refusal>({
  initialState: () => ({ openDay: undefined, firstDay: undefined, lastClosed: undefined, zone: undefined }),
  evolve: (calendar, event) =>
    event.name === 'billing.day_opened'
      ? {
          ...calendar,
          openDay: calendar.openDay && calendar.openDay > event.data.business_day ? calendar.openDay : event.data.business_day,
          firstDay: calendar.firstDay && calendar.firstDay < event.data.business_day ? calendar.firstDay : event.data.business_day,
          zone: event.data.time_zone,
        }
      : { ...calendar, lastClosed: event.data.business_day },
  decide: (command, calendar) =>
    command.kind === 'firing' ? decideScheduled(calendar, new Date(command.at), schedule.timeZone) : decideManual(calendar, new Date(command.at), schedule),
})

const opened = (day: string, reason: 'first_day' | 'calendar' | 'early_close' = 'calendar'): Event => ({
  name: 'billing.day_opened',
  data: { business_day: day, time_zone: 'Europe/Berlin', reason, opened_at: '2026-01-01T00:00:00.000Z' },
})
const closed = (day: string): Event => ({ name: 'billing.day_closed', data: { business_day: day } })
// Midnight in Berlin (UTC+1 in January).
const midnight = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 3600_000).toISOString()

describe('the schedule', () => {
  test('given billing open on Jan 1, when midnight comes, then Jan 1 is asked for', () => {
    spec.given(opened('2026-01-01', 'first_day')).when({ kind: 'firing', at: midnight('2026-01-02') }).then({ request: '2026-01-01' })
  })

  test('given Jan 1 closed early and Jan 2 open, when midnight comes, then nothing: the calendar is aligned again', () => {
    spec.given(opened('2026-01-01', 'first_day'), closed('2026-01-01'), opened('2026-01-02', 'early_close')).when({ kind: 'firing', at: midnight('2026-01-02') }).then({ request: undefined })
  })

  test('given billing first opened Jan 2 (its clock ahead of close), when midnight of Jan 2 comes, then nothing yet', () => {
    spec.given(opened('2026-01-02', 'first_day')).when({ kind: 'firing', at: midnight('2026-01-02') }).then({ request: undefined })
  })

  test('given days ended while close was down, then the last ended day is asked for: billing closes every one up to it', () => {
    spec.given(opened('2026-01-01', 'first_day'), opened('2026-01-05')).when({ kind: 'firing', at: midnight('2026-01-05') }).then({ request: '2026-01-04' })
  })

  test('firings and closing times in the business zone, across DST', () => {
    assert.equal(nextFiring(schedule, new Date('2026-11-23T12:00:00Z'))?.toISOString(), '2026-11-23T23:00:00.000Z')
    assert.equal(nextFiring({ pattern: '30 18 * * *', timeZone: 'America/New_York' }, new Date('2026-11-23T12:00:00Z'))?.toISOString(), '2026-11-23T23:30:00.000Z')
    assert.equal(closingTime(schedule, '2026-03-28')?.toISOString(), '2026-03-28T23:00:00.000Z')
    assert.equal(closingTime(schedule, '2026-03-29')?.toISOString(), '2026-03-29T22:00:00.000Z', 'summer time begins on Mar 29')
    assert.equal(lastFiring(schedule, new Date('2026-03-30T10:00:00Z'), '2026-03-20')?.toISOString(), '2026-03-29T22:00:00.000Z')
  })
})

describe('an admin closes the day now', () => {
  test('given billing open on Jan 1, then Jan 1 is asked for', () => {
    spec.given(opened('2026-01-01', 'first_day')).when({ kind: 'manual', at: '2026-01-01T09:00:00Z' }).then({ request: '2026-01-01' })
  })

  test('given Jan 1 closed early, when asked again the same day, then refused with the open day and when it closes', () => {
    spec
      .given(opened('2026-01-01', 'first_day'), closed('2026-01-01'), opened('2026-01-02', 'early_close'))
      .when({ kind: 'manual', at: '2026-01-01T15:00:00Z' })
      .thenCheck((refusal) => {
        assert.equal((refusal as Refusal).kind, 'next_day_open')
        assert.deepEqual({ open_day: (refusal as { open_day: string }).open_day, closes_at: (refusal as { closes_at: string }).closes_at }, { open_day: '2026-01-02', closes_at: midnight('2026-01-03') })
      })
  })

  test('given nothing heard from billing, then today is asked for', () => {
    spec.given().when({ kind: 'manual', at: '2026-01-01T09:00:00Z' }).then({ request: '2026-01-01' })
  })
})

describe('watching billing', () => {
  test('a zone other than billing\'s is refused; how late the oldest unclosed day is', () => {
    assert.equal(zoneRefusal({ zone: 'UTC', openDay: undefined, firstDay: undefined, lastClosed: undefined }, 'UTC'), undefined)
    assert.match(zoneRefusal({ zone: 'UTC', openDay: undefined, firstDay: undefined, lastClosed: undefined }, 'Europe/Berlin')!.message, /billing keeps its business days in UTC but close runs in Europe\/Berlin/)
    const calendar = { zone: 'Europe/Berlin', openDay: '2026-01-02', firstDay: '2026-01-01', lastClosed: undefined }
    assert.equal(overdueSeconds(calendar, schedule, new Date(midnight('2026-01-02'))), 0)
    assert.equal(overdueSeconds(calendar, schedule, new Date(Date.parse(midnight('2026-01-02')) + 90_000)), 90)
    assert.equal(overdueSeconds({ ...calendar, lastClosed: '2026-01-01' }, schedule, new Date(Date.parse(midnight('2026-01-02')) + 90_000)), 0)
  })
})
