/** Percentiles and the printed table: what the bench reports and how it judges each figure. */

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface Figure {
  key: string;
  value: number;
  unit: string;
  /** Upper bound the figure must not exceed; undefined: informational. */
  target?: number;
  /** Lower bound (e.g. agents that must take part). */
  atLeast?: number;
  /** How it was measured, and why a miss happened when it did. */
  note?: string;
}

export function verdict(f: Figure): 'ok' | 'MISSED' | '-' {
  if (Number.isNaN(f.value)) return 'MISSED';
  if (f.target !== undefined) return f.value <= f.target ? 'ok' : 'MISSED';
  if (f.atLeast !== undefined) return f.value >= f.atLeast ? 'ok' : 'MISSED';
  return '-';
}

export function renderTable(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.key,
    Number.isNaN(f.value) ? 'n/a' : `${f.value} ${f.unit}`,
    f.target !== undefined ? `≤ ${f.target}` : f.atLeast !== undefined ? `≥ ${f.atLeast}` : '',
    verdict(f),
    f.note ?? '',
  ]);
  const head = ['FIGURE', 'MEASURED', 'TARGET', 'VERDICT', 'HOW / NOTE'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

/** Shortfalls, one line each, for the figures that missed their target. */
export function shortfalls(figures: Figure[]): string[] {
  return figures
    .filter((f) => verdict(f) === 'MISSED')
    .map((f) => {
      const bound = f.target !== undefined ? `target ≤ ${f.target}` : `target ≥ ${f.atLeast ?? '?'}`;
      const by =
        f.target !== undefined && !Number.isNaN(f.value) ? ` (over by ${round(f.value - f.target)} ${f.unit})` : '';
      return (
        `SHORTFALL ${f.key}: ${Number.isNaN(f.value) ? 'not measured' : `${f.value} ${f.unit}`}, ` +
        `${bound}${by}${f.note ? ` — ${f.note}` : ''}`
      );
    });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
