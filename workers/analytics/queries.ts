// What analytics' API and dashboard read.
import type { DayFigures, MostExpensive, Today } from '../../contracts/http/analytics.ts'
import { managementEarnings } from '../../contracts/money.ts'
import { dayIn, daysOf, type DayRange } from '../runtime/days.ts'
import type { Ctx } from '../runtime/worker.ts'
import { openDayOf, type Period, periodOf } from './domain.ts'
import { amountsOn, type DB, daysSeen, mostExpensive, negativeAccounts, negativeAtClose } from './store.ts'

export function businessDay(ctx: Ctx<DB>): string {
  return openDayOf(daysSeen(ctx.store), dayIn(ctx.config.tz, ctx.now()))
}

export function today(ctx: Ctx<DB>): Today {
  const day = businessDay(ctx)
  return { business_day: day, management_earnings: managementEarnings(amountsOn(ctx.store, day)), accounts_negative: negativeAccounts(ctx.store) }
}

export function mostExpensiveIn(ctx: Ctx<DB>, period: Period, date: string): MostExpensive {
  const range = periodOf(period, date)
  return { period, ...range, task: mostExpensive(ctx.store, range.from, range.to) }
}

export function days(ctx: Ctx<DB>, range: DayRange): DayFigures[] {
  return daysOf(range).map((day) => ({
    business_day: day,
    management_earnings: managementEarnings(amountsOn(ctx.store, day)),
    accounts_negative: negativeAtClose(ctx.store, day) ?? null,
    most_expensive: mostExpensive(ctx.store, day, day),
  }))
}
