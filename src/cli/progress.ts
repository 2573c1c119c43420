import type { CliIo } from './io.ts';

export type Unit = 'bytes' | 'items';

export interface ProgressOptions {
  /** What is being done, e.g. `restore database`. */
  label: string;
  /** The amount of work, when known (bytes or items); without it there is no bar and no ETA. */
  total?: number | null;
  unit?: Unit;
  /** Name of the items (`tables`, `rows`) for `items`. */
  noun?: string;
  /** Plain lines (not a terminal): at most one per this many ms between 10 % steps (default 30 s). */
  lineIntervalMs?: number;
  now?: () => number;
}

export interface Progress {
  update(done: number, total?: number | null): void;
  /** Prints the last state with the time taken. */
  finish(note?: string): void;
}

/** Bytes as people read them: 512 B, 3.4 kB, 12.0 MB, 1.25 GB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MB`;
  return `${(n / 1073741824).toFixed(2)} GB`;
}

function amount(n: number, o: ProgressOptions): string {
  return o.unit === 'bytes' ? formatBytes(n) : `${n.toLocaleString('en-US')}${o.noun ? ` ${o.noun}` : ''}`;
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * Progress of one long step, written to stderr so stdout stays the command's result. On a
 * terminal one line is redrawn (a bar, the amounts, an ETA), at most 10 times a second. In a
 * log or cron mail plain lines come at the start, at each 10 % step (or every `lineIntervalMs`
 * without a total) and at the end.
 */
export function progress(io: CliIo, opts: ProgressOptions): Progress {
  const now = opts.now ?? Date.now;
  const tty = Boolean(io.stderr.isTTY);
  const started = now();
  const every = opts.lineIntervalMs ?? 30_000;
  let total = opts.total ?? null;
  let done = 0;
  let drawnAt = 0;
  let lineAt = -Infinity;
  let lastStep = -1;
  let finished = false;

  const describe = (): string => {
    if (!total) return `${opts.label}: ${amount(done, opts)}`;
    const ratio = Math.min(1, done / total);
    const elapsed = now() - started;
    const eta = ratio > 0 && ratio < 1 ? `, ETA ${clock((elapsed / ratio) * (1 - ratio))}` : '';
    const of =
      opts.unit === 'bytes' ? `${formatBytes(done)} of ${formatBytes(total)}` : `${done.toLocaleString('en-US')} of ${amount(total, opts)}`;
    return `${opts.label}: ${Math.floor(ratio * 100)}% (${of}${eta})`;
  };
  const bar = (): string => {
    if (!total) return describe();
    const width = 24;
    const filled = Math.round(Math.min(1, done / total) * width);
    return `${describe().replace(': ', ` [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `)}`;
  };

  return {
    update(n, newTotal) {
      if (finished) return;
      done = n;
      if (newTotal !== undefined) total = newTotal;
      const t = now();
      if (tty) {
        if (t - drawnAt < 100) return;
        drawnAt = t;
        io.stderr.write(`\r${bar()}\x1b[K`);
        return;
      }
      const step = total ? Math.floor((Math.min(1, done / total) * 100) / 10) : -1;
      if ((total && step > lastStep) || t - lineAt >= every) {
        lastStep = Math.max(lastStep, step);
        lineAt = t;
        io.stderr.write(`${describe()}\n`);
      }
    },
    finish(note) {
      if (finished) return;
      finished = true;
      if (total) done = Math.max(done, total);
      const line = `${opts.label}: done, ${amount(done, opts)} in ${((now() - started) / 1000).toFixed(1)} s${note ? ` (${note})` : ''}`;
      io.stderr.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
