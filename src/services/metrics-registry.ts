/**
 * Prometheus text exposition (format 0.0.4): counter and histogram families kept in memory, and
 * gauges rendered from numbers read at scrape time. Label values are escaped as the format asks
 * (backslash, quote, newline).
 *
 * Invariants: a counter only rises; a histogram's buckets are cumulative and its `+Inf` bucket
 * equals its count. Every series of a family carries the same label names, in the order given.
 * Concurrency: one isolate's memory, touched synchronously (no await inside an update).
 */

export type Labels = Readonly<Record<string, string>>;

const escape = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** One sample line; NaN and infinities as the format spells them. */
export function sample(name: string, labels: Labels, value: number): string {
  const v = Number.isNaN(value) ? "NaN" : value === Infinity ? "+Inf" : value === -Infinity ? "-Inf" : String(value);
  return `${name}${labelText(labels)} ${v}`;
}

export function header(name: string, type: "counter" | "gauge" | "histogram", help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}`;
}

/**
 * A label set's map key: its values joined (names are fixed per family), cheaper than the
 * escaped text, which is built only when rendering.
 */
const keyOf = (labels: Labels) => Object.values(labels).join("\u0001");
/** `keyOf` of labels whose values are `values`, in the family's label order. */
export const keyOfValues = (...values: string[]) => values.join("\u0001");

/** A counter family: a value per label set. */
export class CounterFamily {
  private readonly series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    this.incKeyed(keyOf(labels), () => labels, by);
  }

  /**
   * The hot-path form: `key` is the label values joined as `keyOf` joins them, and `labels` is
   * called only the first time a series is seen, so a request that bumps a known series
   * allocates nothing.
   */
  incKeyed(key: string, labels: () => Labels, by = 1): void {
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels: labels(), value: by });
  }

  render(keep: (labels: Labels) => boolean): string[] {
    const lines = [...this.series.values()].filter((s) => keep(s.labels)).map((s) => sample(this.name, s.labels, s.value));
    return lines.length === 0 ? [] : [header(this.name, "counter", this.help), ...lines];
  }
}

/** A histogram family with fixed upper bounds (seconds or bytes, as its name says). */
export class HistogramFamily {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, value: number): void {
    this.observeKeyed(keyOf(labels), () => labels, value);
  }

  /** As `CounterFamily.incKeyed`: `labels` is called only for a new series. */
  observeKeyed(key: string, labels: () => Labels, value: number): void {
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels: labels(), counts: this.bounds.map(() => 0), sum: 0, count: 0 }));
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    if (i < this.bounds.length) s.counts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  render(keep: (labels: Labels) => boolean): string[] {
    const lines: string[] = [];
    for (const s of this.series.values()) {
      if (!keep(s.labels)) continue;
      let cumulative = 0;
      this.bounds.forEach((b, i) => {
        cumulative += s.counts[i]!;
        lines.push(sample(`${this.name}_bucket`, { ...s.labels, le: String(b) }, cumulative));
      });
      lines.push(sample(`${this.name}_bucket`, { ...s.labels, le: "+Inf" }, s.count));
      lines.push(sample(`${this.name}_sum`, s.labels, s.sum));
      lines.push(sample(`${this.name}_count`, s.labels, s.count));
    }
    return lines.length === 0 ? [] : [header(this.name, "histogram", this.help), ...lines];
  }
}

/** A gauge family rendered from `[labels, value]` pairs read now. */
export function gauge(name: string, help: string, values: readonly (readonly [Labels, number])[]): string[] {
  if (values.length === 0) return [];
  return [header(name, "gauge", help), ...values.map(([l, v]) => sample(name, l, v))];
}
