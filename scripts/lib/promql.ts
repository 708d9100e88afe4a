// The metric names a PromQL expression reads, for checking the dashboard and the alert rules
// against what the workers serve (scripts/observability.test.ts). Not a parser: strings, label
// matchers, ranges, grouping lists and Grafana variables are taken out, and what is left that
// looks like a name and is not called, a keyword or a number is a metric.
import { readFileSync } from 'node:fs'

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'atan2'])

export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
  const names = [...bare.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]!)
  return [...new Set(names.filter((name) => !KEYWORDS.has(name.toLowerCase())))]
}

/** Each alert rule's name and expression (one line each, as alerts.yml writes them). */
export function alertExpressions(file: string): Array<{ where: string; expr: string }> {
  const text = readFileSync(file, 'utf8')
  const rules = [...text.matchAll(/^ +- alert: (\S+)\n(?: +(?!- ).*\n)*? +expr: (.+)$/gm)]
  return rules.map((m) => ({ where: `alert ${m[1]}`, expr: m[2]!.trim() }))
}

type Panel = { title?: string; targets?: Array<{ expr?: string }>; panels?: Panel[] }
type Dashboard = { panels?: Panel[]; templating?: { list?: Array<{ name: string; query?: unknown; definition?: string }> } }

/** Every expression of a Grafana dashboard: its panels' targets, and the metrics of label_values() in its variables. */
export function dashboardExpressions(file: string): Array<{ where: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as Dashboard
  const found: Array<{ where: string; expr: string }> = []
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) found.push({ where: `panel "${panel.title}"`, expr: target.expr })
      visit(panel.panels ?? [])
    }
  }
  visit(dashboard.panels ?? [])
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : (variable.query as { query?: string } | undefined)?.query
    const labelValues = /^label_values\((.+),\s*\w+\)$/.exec(query ?? '')
    if (labelValues) found.push({ where: `variable $${variable.name}`, expr: labelValues[1]! })
  }
  return found
}

/** Names and types a /metrics text declares (# TYPE lines). */
export function servedMetrics(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]))
}

/** Metrics Prometheus makes itself for every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added'])

/** The names an expression reads that nothing serves (a histogram's _bucket, _sum and _count are its own). */
export function unserved(expr: string, served: ReadonlyMap<string, string>): string[] {
  return metricNames(expr).filter((name) => {
    if (SYNTHETIC.has(name) || served.has(name)) return false
    const histogram = /^(.+)_(?:bucket|sum|count)$/.exec(name)
    return !(histogram && served.get(histogram[1]!) === 'histogram')
  })
}
