import type { TransferProgress } from '../events';

/** How progress ticks are throttled. */
export interface ProgressPolicy {
  /** At most one tick per this many milliseconds. Default 100. */
  readonly intervalMs: number;
  /** ...and, when the total is known, only after at least this fraction of it moved (default 0.01, 1%). */
  readonly minFraction: number;
}

export const DEFAULT_PROGRESS: ProgressPolicy = { intervalMs: 100, minFraction: 0.01 };

/**
 * The one progress rule of rx-s3: counts bytes and emits throttled, monotonic ticks. The first tick (0 bytes) is
 * emitted by {@link start}, the last one, equal to the total, by {@link finish}.
 */
export class ProgressMeter {
  private transferred = 0;
  private lastBytes = -1;
  private lastAt = 0;
  private startedAt = 0;
  private stopped = false;

  constructor(
    private total: number | undefined,
    private readonly emit: (tick: TransferProgress) => void,
    private readonly policy: ProgressPolicy = DEFAULT_PROGRESS,
    private readonly now: () => number = Date.now,
  ) {}

  get transferredBytes(): number {
    return this.transferred;
  }

  get totalBytes(): number | undefined {
    return this.total;
  }

  /** Sets the total once it is known (e.g. after HeadObject). */
  setTotal(total: number | undefined): void {
    this.total = total;
  }

  start(): void {
    this.startedAt = this.now();
    this.tick();
  }

  /** Counts `bytes` more; emits a tick when the throttle allows. */
  add(bytes: number): void {
    if (bytes <= 0) return;
    this.transferred += bytes;
    const now = this.now();
    if (now - this.lastAt < this.policy.intervalMs) return;
    if (this.total !== undefined && this.transferred < this.total && this.transferred - this.lastBytes < this.total * this.policy.minFraction) return;
    this.tick(now);
  }

  /**
   * Emits the last tick, equal to the total, unless it was already emitted. When the total was unknown (a
   * stream), it is now known: the last tick says so even if no byte moved since the previous one.
   */
  finish(): void {
    const totalWasUnknown = this.total === undefined;
    if (totalWasUnknown) this.total = this.transferred;
    if (totalWasUnknown || this.transferred !== this.lastBytes) this.tick();
    this.stopped = true;
  }

  /** No tick after this (unsubscribe, failure). */
  stop(): void {
    this.stopped = true;
  }

  private tick(now = this.now()): void {
    if (this.stopped) return;
    this.lastAt = now;
    this.lastBytes = this.transferred;
    const elapsedMs = Math.max(0, now - this.startedAt);
    const total = this.total;
    this.emit({
      kind: 'progress',
      transferredBytes: this.transferred,
      totalBytes: total,
      percent: total === undefined ? undefined : total === 0 ? 100 : Math.min(100, (this.transferred / total) * 100),
      bytesPerSecond: elapsedMs === 0 ? 0 : (this.transferred * 1000) / elapsedMs,
      elapsedMs,
    });
  }
}

/**
 * Counts one part's bytes across attempts: a retried attempt restarts at 0, and only bytes beyond the best attempt
 * so far reach the meter, so progress stays monotonic and a retried part is never counted twice.
 */
export class PartCounter {
  private best = 0;
  private attempt = 0;

  constructor(private readonly meter: ProgressMeter) {}

  newAttempt(): void {
    this.attempt = 0;
  }

  add(bytes: number): void {
    this.attempt += bytes;
    if (this.attempt > this.best) {
      this.meter.add(this.attempt - this.best);
      this.best = this.attempt;
    }
  }
}
