/**
 * Live progress bars for transfers: {@link renderBar}, a pure function from a progress tick to one line, and
 * {@link ProgressBar}, which redraws that line in place on a terminal, at most once per interval.
 */
import type { TransferProgress } from '../index';
import { formatBytes, formatClock, formatDuration } from './format';

const FILLED = '█';
const EMPTY = '░';
/** Narrower than this, the bar itself is dropped and only the numbers remain. */
const MIN_BAR = 6;
/** Wider than this, a bar only adds noise. */
const MAX_BAR = 40;

/**
 * One line showing a transfer's state, never longer than `width` characters:
 *
 * ```text
 * big.bin [██████████░░░░░░░░░░]  52%  15.6 MiB/30.0 MiB  48.2 MiB/s  ETA 0:01
 * ```
 *
 * Without a known total (a stream of unknown length) it shows the bytes so far, the rate and the elapsed time.
 * When space runs short the label is shortened first (keeping its end, usually the file name), then the bar, the
 * ETA and the rate are dropped, in that order.
 */
export function renderBar(tick: TransferProgress, width: number, label: string): string {
  const columns = Math.max(1, Math.floor(width));
  const total = tick.totalBytes;
  const done100 = tick.percent;
  const known = total !== undefined && done100 !== undefined;
  const fraction = known ? Math.min(1, Math.max(0, done100 / 100)) : 0;

  // Fixed widths, so the bar does not jitter as the numbers change.
  const percent = known ? `${String(Math.floor(fraction * 100)).padStart(3)}%` : undefined;
  const done = formatBytes(tick.transferredBytes).padStart(8);
  const amount = known ? `${done}/${formatBytes(total)}` : done;
  const rate = `${formatBytes(tick.bytesPerSecond)}/s`.padStart(10);
  const time = known ? `ETA ${eta(tick, total).padStart(5)}` : formatDuration(tick.elapsedMs).padStart(7);

  // Candidate layouts, richest first: the first that fits wins.
  const statSets: ReadonlyArray<ReadonlyArray<string | undefined>> = [
    [percent, amount, rate, time],
    [percent, amount, rate],
    [percent, amount],
    [percent ?? amount],
  ];
  for (const set of statSets) {
    const stats = set.filter((s): s is string => s !== undefined).join('  ');
    for (const withBar of known ? [true, false] : [false]) {
      const labelRoom = Math.min(label.length, Math.max(8, Math.floor(columns * 0.35)));
      // label, a space, then `[bar]` and two spaces, then the numbers.
      const fixed = stats.length + (withBar ? MIN_BAR + 5 : 1);
      const labelWidth = Math.min(labelRoom, columns - fixed);
      if (labelWidth < Math.min(label.length, 4)) continue;
      const head = label === '' ? '' : `${shorten(label, labelWidth)} `;
      if (!withBar) return fit(`${head}${stats}`, columns);
      const barWidth = Math.min(MAX_BAR, columns - head.length - stats.length - 4);
      const filled = Math.round(fraction * barWidth);
      return fit(`${head}[${FILLED.repeat(filled)}${EMPTY.repeat(barWidth - filled)}]  ${stats}`, columns);
    }
  }
  return fit(percent ?? amount, columns);
}

/** Remaining time at the average rate so far, as a clock; `--:--` before the rate is known. */
function eta(tick: TransferProgress, total: number): string {
  const left = Math.max(0, total - tick.transferredBytes);
  if (left === 0) return formatClock(0);
  if (tick.bytesPerSecond <= 0) return '--:--';
  return formatClock(left / tick.bytesPerSecond);
}

/** Keeps the end of `text` (the file name) when it is too long: `…/dir/big.bin`. */
function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(text.length - width);
  return `…${text.slice(text.length - width + 1)}`;
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, width);
}

/** Where a bar is drawn: `process.stderr` or `process.stdout`, or anything shaped like them. */
export interface Terminal {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** At most one redraw per this many milliseconds (the first and the final tick are always drawn). Default 100. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

/**
 * One transfer's bar, redrawn in place (`\r`, then erase to the end of the line) on a terminal, throttled. On
 * anything that is not a TTY it draws nothing: the caller prints one final line instead.
 */
export class ProgressBar {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private last: { tick: TransferProgress; label: string } | undefined;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly terminal: Terminal,
    private readonly label: string,
    options: ProgressBarOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** True when the bar is drawn at all (the terminal is a TTY). */
  get live(): boolean {
    return this.terminal.isTTY === true;
  }

  /** Redraws the bar for `tick`, unless the last redraw was less than the interval ago (final ticks always draw). */
  update(tick: TransferProgress, label = this.label): void {
    if (!this.live) return;
    this.last = { tick, label };
    const now = this.now();
    const final = tick.totalBytes !== undefined && tick.transferredBytes >= tick.totalBytes;
    if (!final && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    // One column short of the edge: writing the last column makes some terminals wrap.
    const width = (this.terminal.columns !== undefined && this.terminal.columns > 0 ? this.terminal.columns : 80) - 1;
    this.terminal.write(`\r${renderBar(tick, width, label)}\x1b[K`);
    this.drawn = true;
  }

  /** Draws the last tick again (after lines were printed over a cleared bar). */
  redraw(): void {
    if (this.last === undefined || !this.live) return;
    this.lastDraw = Number.NEGATIVE_INFINITY;
    this.update(this.last.tick, this.last.label);
  }

  /** Erases the bar, so the next line of output starts clean in its place. */
  clear(): void {
    if (!this.drawn) return;
    this.terminal.write('\r\x1b[2K');
    this.drawn = false;
  }
}
