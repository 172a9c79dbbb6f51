/**
 * Reading serve's /metrics: a minimal parser of the Prometheus text format (enough for counters
 * and histograms: `name{label="value",...} number`), and sums over the series of one metric.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = Number(match[3]);
    if (!Number.isNaN(value) || match[3] === 'NaN') samples.push({ name: match[1], labels, value });
  }
  return samples;
}

/** A scrape of /metrics at one moment. */
export class MetricsSnapshot {
  readonly samples: readonly Sample[];
  readonly at: number;

  constructor(samples: readonly Sample[], at = performance.now()) {
    this.samples = samples;
    this.at = at;
  }

  static async fetch(baseUrl: string): Promise<MetricsSnapshot> {
    const response = await fetch(`${baseUrl}/metrics`);
    if (!response.ok) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
    return new MetricsSnapshot(parsePrometheusText(await response.text()));
  }

  /** Sum of every series of `name` whose labels include `where`. */
  sum(name: string, where: Record<string, string> = {}): number {
    return this.#matching(name, where).reduce((total, s) => total + s.value, 0);
  }

  /** Like `sum`, but null when no series matches (a metric not exported yet reads as unknown, not 0). */
  value(name: string, where: Record<string, string> = {}): number | null {
    const matching = this.#matching(name, where);
    return matching.length === 0 ? null : matching.reduce((total, s) => total + s.value, 0);
  }

  #matching(name: string, where: Record<string, string>): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
  }

  /** Values of one label among the series of `name` (e.g. the stages of a histogram). */
  labelValues(name: string, label: string): string[] {
    return [...new Set(this.samples.filter((s) => s.name === name && label in s.labels).map((s) => s.labels[label]))];
  }
}

/** How much a counter grew between two scrapes. */
export function counterDelta(before: MetricsSnapshot, after: MetricsSnapshot, name: string, where: Record<string, string> = {}): number {
  return after.sum(name, where) - before.sum(name, where);
}

/** Mean of a histogram's observations made between two scrapes (its _sum and _count deltas); NaN if none. */
export function histogramMeanDelta(before: MetricsSnapshot, after: MetricsSnapshot, name: string, where: Record<string, string> = {}): number {
  const count = counterDelta(before, after, `${name}_count`, where);
  return count > 0 ? counterDelta(before, after, `${name}_sum`, where) / count : Number.NaN;
}
