// Number and table formatting for the markdown report.

/** 3 significant-ish digits: 12,345 · 123 · 12.3 · 1.23 · 0.123; "–" for no value. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100) return Math.round(value).toLocaleString('en-US');
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A difference with its sign: +0.123 / -1.20. */
export function delta(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value >= 0 ? `+${num(value)}` : num(value);
}

export function ratio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`;
}

/** Right-aligns every column except the ones named in `left`. */
export function table(headers: string[], rows: string[][], left: string[] = ['target', 'check', 'note']): string {
  const align = headers.map((h) => (left.includes(h) ? '---' : '---:'));
  const line = (cells: string[]): string => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), `|${align.join('|')}|`, ...rows.map(line)].join('\n');
}
