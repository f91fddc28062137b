// Printing for people and for scripts: aligned tables, relative times, clipped JSON, and --json.
import type { JsonValue } from '@switchboard/client/node';

/** Where a command's results go: lines for people, or JSON (one value per line) with --json. */
export interface Output {
  readonly json: boolean;
  line(text: string): void;
  value(value: unknown): void;
}

export function stdoutOutput(json: boolean): Output {
  return {
    json,
    line: (text) => void process.stdout.write(`${text}\n`),
    value: (value) => void process.stdout.write(`${JSON.stringify(value)}\n`),
  };
}

/** Rows under headers, each column as wide as its widest cell; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)];
}

/** "3s ago", "5m ago", "2h ago", "4d ago"; for future times "in 3s". */
export function relative(time: number, now = Date.now()): string {
  const delta = now - time;
  const span = Math.abs(delta);
  const text =
    span < 60_000 ? `${Math.floor(span / 1000)}s` : span < 3_600_000 ? `${Math.floor(span / 60_000)}m` : span < 86_400_000 ? `${Math.floor(span / 3_600_000)}h` : `${Math.floor(span / 86_400_000)}d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}

/** Shortens `text` to `max` characters, marking the cut with "…". */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A JSON value as compact JSON text, clipped for a table cell or a tail line. */
export function brief(value: JsonValue | undefined, max = 60): string {
  return clip(JSON.stringify(value) ?? '', max);
}

/** Local wall-clock time with milliseconds, for tail lines. */
export function clock(time: number): string {
  const d = new Date(time);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
