// Plain-text and Markdown tables, and the number formats the reports share.

export interface Table {
  headers: string[];
  /** Columns aligned right (numbers); the rest align left. */
  rightAligned: boolean[];
  rows: string[][];
}

export function textTable(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (t.rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

export function markdownTable(t: Table): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const sep = t.rightAligned.map((r) => (r ? '---:' : '---'));
  return [
    `| ${t.headers.map(esc).join(' | ')} |`,
    `| ${sep.join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** 1234567 -> "1,234,567" */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A duration given in nanoseconds, in the unit that reads best. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1000) return `${ns.toFixed(ns < 10 ? 2 : ns < 100 ? 1 : 0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : ns < 1e5 ? 1 : 0)} µs`;
  return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : ns < 1e8 ? 1 : 0)} ms`;
}

/** A latency given in microseconds. */
export function formatUs(us: number): string {
  return formatNs(us * 1000);
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}
