/** Prints rows as an aligned text table: the first column left-aligned, the figures right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)));
  console.log(line(header).join('  '));
  for (const c of rows) console.log(line(c).join('  '));
}

/** One load target's figures, as measureGets and measurePosts report them. */
export interface LoadFigures {
  target: string;
  perSecond: number;
  p99: number;
  failed: number;
}

/**
 * Prints load figures beside a baseline (`/health/live` measured in the same run) and marks the run
 * failed when any request failed.
 */
export function printLoadTable(rows: readonly LoadFigures[], baselinePerSecond: number): void {
  const baseline = baselinePerSecond || 1;
  printTable(
    ['target', 'req/s', 'p99 ms', 'vs /health/live', 'failed'],
    rows.map((r) => [
      r.target,
      r.perSecond.toFixed(0),
      String(r.p99),
      `${((r.perSecond / baseline) * 100).toFixed(0)} %`,
      String(r.failed),
    ]),
  );
  if (rows.some((r) => r.failed > 0)) process.exitCode = 1;
}
