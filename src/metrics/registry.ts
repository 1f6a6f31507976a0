/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). Enough for danwel's own metrics without a dependency.
 */
type Labels = Record<string, string>;

interface Metric {
  render(): string[];
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${escape(value)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function header(name: string, help: string, type: string): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
}

/** A value per label set that only goes up (resets when the process restarts). */
export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  inc(labels: Labels = {}, by = 1): void {
    const id = key(labels);
    const entry = this.values.get(id) ?? { labels, value: 0 };
    entry.value += by;
    this.values.set(id, entry);
  }

  render(): string[] {
    return [
      ...header(this.name, this.help, 'counter'),
      ...[...this.values.values()].map((e) => `${this.name}${labelText(e.labels)} ${e.value}`),
    ];
  }
}

/** Values set as a whole at scrape time (`collect`), e.g. counts read from the database. */
export class Gauge implements Metric {
  private values: { labels: Labels; value: number }[] = [];

  constructor(
    readonly name: string,
    private readonly help: string,
  ) {}

  set(values: { labels: Labels; value: number }[]): void {
    this.values = values;
  }

  render(): string[] {
    return [
      ...header(this.name, this.help, 'gauge'),
      ...this.values.map((e) => `${this.name}${labelText(e.labels)} ${e.value}`),
    ];
  }
}

/** Observations counted into cumulative buckets, with their sum and count, per label set. */
export class Histogram implements Metric {
  private readonly series = new Map<string, { labels: Labels; buckets: number[]; sum: number }>();

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly bounds: number[],
  ) {}

  observe(labels: Labels, value: number): void {
    const id = key(labels);
    let entry = this.series.get(id);
    if (!entry) {
      entry = { labels, buckets: this.bounds.map(() => 0).concat(0), sum: 0 };
      this.series.set(id, entry);
    }
    const index = this.bounds.findIndex((bound) => value <= bound);
    entry.buckets[index === -1 ? this.bounds.length : index]++;
    entry.sum += value;
  }

  render(): string[] {
    const lines = header(this.name, this.help, 'histogram');
    for (const { labels, buckets, sum } of this.series.values()) {
      let cumulative = 0;
      buckets.forEach((count, i) => {
        cumulative += count;
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
        lines.push(`${this.name}_bucket${labelText({ ...labels, le })} ${cumulative}`);
      });
      lines.push(`${this.name}_sum${labelText(labels)} ${sum}`);
      lines.push(`${this.name}_count${labelText(labels)} ${cumulative}`);
    }
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];

  register<M extends Metric>(metric: M): M {
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    return `${this.metrics.flatMap((metric) => metric.render()).join('\n')}\n`;
  }
}
