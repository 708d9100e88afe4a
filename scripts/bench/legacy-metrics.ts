// The registry the workers used before histograms (workers/runtime/metrics.ts as it was), kept
// as the baseline of the metrics rows of `make bench` (metrics.ts).

type Labels = Record<string, string>

function key(labels: Labels): string {
  return Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`)
    .join(',')
}

class Metric {
  readonly values = new Map<string, number>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels)
    this.values.set(k, (this.values.get(k) ?? 0) + by)
  }
  set(labels: Labels, value: number): void {
    this.values.set(key(labels), value)
  }
  /** One series of this metric, its labels rendered once: for counting on a hot path. */
  series(labels: Labels): Series {
    const k = key(labels)
    return { inc: (by = 1) => this.values.set(k, (this.values.get(k) ?? 0) + by) }
  }
}

export type Series = { inc(by?: number): void }

export class Metrics {
  private readonly metrics = new Map<string, Metric>()
  private readonly collectors: Array<() => void> = []

  counter(name: string, help: string): Metric {
    return this.get(name, help, 'counter')
  }

  gauge(name: string, help: string): Metric {
    return this.get(name, help, 'gauge')
  }

  /** Runs before every render, to sample gauges (memory, lag). */
  collect(fn: () => void): void {
    this.collectors.push(fn)
  }

  render(): string {
    // A sample that cannot be taken now (the database failing) leaves the last value; the rest render.
    for (const fn of this.collectors) {
      try {
        fn()
      } catch {
        // reported where the fault is met: /readyz and the logs
      }
    }
    const lines: string[] = []
    for (const metric of this.metrics.values()) {
      lines.push(`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`)
      for (const [labels, value] of metric.values) {
        lines.push(`${metric.name}${labels ? `{${labels}}` : ''} ${value}`)
      }
    }
    return `${lines.join('\n')}\n`
  }

  private get(name: string, help: string, type: 'counter' | 'gauge'): Metric {
    let metric = this.metrics.get(name)
    if (!metric) {
      metric = new Metric(name, help, type)
      this.metrics.set(name, metric)
    }
    return metric
  }
}
