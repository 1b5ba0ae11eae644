/**
 * The clean-ups still running in the background after a subscriber left (aborting a multipart upload, deleting a
 * temp file). `RxS3.flushCleanups()` waits for them, e.g. before a CLI exits on Ctrl-C.
 */
export class Cleanups {
  private readonly running = new Set<Promise<unknown>>();

  track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
  }

  async flush(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
