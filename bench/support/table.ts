/** Prints rows as an aligned text table: the first column left-aligned, the figures right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)));
  console.log(line(header).join('  '));
  for (const c of rows) console.log(line(c).join('  '));
}
