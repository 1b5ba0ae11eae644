/**
 * Ends a pool of worker threads once it has had nothing to do for a while (the digest workers, the TLS reader
 * threads): an idle isolate holds about 11 MiB, which a long-running server should not keep after its last job.
 */
export class IdleEnding {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param delayMs how long the pool must stay idle (read at each {@link idled}, so specs can shorten it)
   * @param busy whether the pool has work in flight (or nothing to end)
   * @param end ends the pool; the next job starts it again
   */
  constructor(
    private readonly delayMs: () => number,
    private readonly busy: () => boolean,
    private readonly end: () => void,
  ) {}

  /** The pool was given work: it must not end meanwhile. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A job finished: when none is left, the pool ends after the delay unless work comes first. The timer keeps no process alive. */
  idled(): void {
    if (this.busy()) return;
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.busy()) this.end();
    }, this.delayMs()).unref();
  }
}
