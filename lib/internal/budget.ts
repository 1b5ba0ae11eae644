import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ClientContext } from './context';
import type { DataCommand, DataPlane, DataSendOptions } from './lean/data-plane';

/**
 * Options of a {@link Budget}: the limits every request sent under it shares.
 *
 * @example
 * ```ts
 * const budget = new Budget({ maxRequests: 16, maxBytes: 64 * 1024 * 1024, bytesPerSecond: 50 * 1024 * 1024 });
 * ```
 */
export interface BudgetOptions {
  /** Requests in flight at once (so at most this many sockets). Default 32. */
  readonly maxRequests?: number;
  /**
   * Bytes in flight at once: the bodies of the requests sent (PutObject, UploadPart) and the lengths of ranged
   * GETs. A single request larger than this still goes, alone. Default 128 MiB.
   */
  readonly maxBytes?: number;
  /**
   * An average bandwidth cap in bytes per second over all requests (uploads and downloads). Requests are started
   * no faster than the cap allows; one request is not paced inside itself. Default: no cap.
   */
  readonly bytesPerSecond?: number;
}

interface Waiter {
  readonly requests: number;
  readonly bytes: number;
  readonly grant: () => void;
}

const MiB = 1024 * 1024;

/**
 * One shared limit of requests in flight, bytes in flight and (optionally) bandwidth. Pass the same budget to
 * several bulk jobs (`uploadDirectory`, `sync`...) and to single transfers (`uploadFile`, `downloadFile`) so
 * that all of them together stay under it. Waiting requests are served first come, first served.
 *
 * A budget holds no timer and no socket: it needs no closing.
 *
 * @example
 * ```ts
 * import { Budget, RxS3 } from 'rx-s3';
 * const budget = new Budget({ maxRequests: 8 });
 * merge(
 *   rx.uploadDirectory('./photos', 'backup', 'photos/', { budget }),
 *   rx.uploadFile('backup', 'db.dump', './db.dump', { budget }),
 * ).subscribe(console.log); // never more than 8 requests in flight between them
 * ```
 */
export class Budget {
  /** The limits, resolved. */
  readonly maxRequests: number;
  readonly maxBytes: number;
  readonly bytesPerSecond: number | undefined;
  private requests = 0;
  private bytes = 0;
  private peak = 0;
  private readonly queue: Waiter[] = [];
  /** Bandwidth: the time at which the bytes started so far have "drained" at the capped rate. */
  private drainedAt = 0;

  constructor(options: BudgetOptions = {}) {
    this.maxRequests = Math.max(1, Math.floor(options.maxRequests ?? 32));
    this.maxBytes = Math.max(1, Math.floor(options.maxBytes ?? 128 * MiB));
    this.bytesPerSecond = options.bytesPerSecond !== undefined && options.bytesPerSecond > 0 ? options.bytesPerSecond : undefined;
  }

  /** Requests in flight now. */
  get requestsInFlight(): number {
    return this.requests;
  }

  /** Bytes in flight now. */
  get bytesInFlight(): number {
    return this.bytes;
  }

  /** The most requests that were ever in flight at once under this budget. */
  get peakRequests(): number {
    return this.peak;
  }

  /**
   * Waits for room for `requests` requests carrying `bytes`, then takes it; resolves with the function that gives
   * it back (call it exactly once). Rejects with the signal's reason if `signal` aborts first (nothing taken).
   */
  async acquire(bytes: number, signal?: AbortSignal, requests = 1): Promise<() => void> {
    signal?.throwIfAborted();
    const wanted = { requests: Math.min(requests, this.maxRequests), bytes: Math.max(0, bytes) };
    if (this.queue.length > 0 || !this.fits(wanted)) {
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          ...wanted,
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = (): void => {
          const index = this.queue.indexOf(waiter);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal?.reason);
          this.serve();
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        this.queue.push(waiter);
      });
    } else {
      this.take(wanted);
    }
    await this.pace(wanted.bytes, signal);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.requests -= wanted.requests;
      this.bytes -= wanted.bytes;
      this.serve();
    };
  }

  /** Counts `bytes` against the bandwidth cap after the fact (a GET whose length was known only from its answer). */
  charge(bytes: number): void {
    if (this.bytesPerSecond === undefined || bytes <= 0) return;
    this.drainedAt = Math.max(this.drainedAt, Date.now()) + (bytes * 1000) / this.bytesPerSecond;
  }

  private fits(wanted: { requests: number; bytes: number }): boolean {
    if (this.requests + wanted.requests > this.maxRequests) return false;
    // A request larger than the whole byte budget goes alone rather than never.
    return this.bytes === 0 || this.bytes + wanted.bytes <= this.maxBytes;
  }

  private take(wanted: { requests: number; bytes: number }): void {
    this.requests += wanted.requests;
    this.bytes += wanted.bytes;
    this.peak = Math.max(this.peak, this.requests);
  }

  private serve(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!)) {
      const waiter = this.queue.shift()!;
      this.take(waiter);
      waiter.grant();
    }
  }

  /** With a bandwidth cap: waits until the bytes started before have drained, then books these. */
  private async pace(bytes: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.bytesPerSecond === undefined) return;
    const now = Date.now();
    const start = Math.max(now, this.drainedAt);
    this.drainedAt = start + (bytes * 1000) / this.bytesPerSecond;
    const wait = start - now;
    if (wait <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** What a command's input says about the bytes its request carries. */
function requestBytes(input: Record<string, unknown>): number {
  if (typeof input.ContentLength === 'number') return input.ContentLength;
  const body = input.Body;
  if (body instanceof Uint8Array) return body.length;
  if (typeof body === 'string') return Buffer.byteLength(body);
  const range = typeof input.Range === 'string' ? /^bytes=(\d+)-(\d+)$/.exec(input.Range) : null;
  if (range !== null) return Number(range[2]) - Number(range[1]) + 1;
  return 0;
}

/**
 * The context of an operation that runs under `budget`: every request its client sends first takes room in the
 * budget and gives it back when its answer arrived, or, for an answer with a streamed body (GetObject), when the
 * body was read to its end or destroyed. Without a budget, `ctx` itself.
 */
export function underBudget(ctx: ClientContext, budget: Budget | undefined): ClientContext {
  if (budget === undefined) return ctx;
  const real = ctx.client;
  const budgeted = (through: (command: unknown, options?: unknown) => Promise<unknown>) => async (command: { input: Record<string, unknown> }, options?: { abortSignal?: AbortSignal }): Promise<unknown> => {
    const release = await budget.acquire(requestBytes(command.input), options?.abortSignal);
    let answer: unknown;
    try {
      answer = await through(command, options);
    } catch (cause) {
      release();
      throw cause;
    }
    const body = (answer as { Body?: unknown; ContentLength?: unknown }).Body as Readable | undefined;
    if (body !== undefined && typeof body.once === 'function' && !body.destroyed && !body.readableEnded) {
      if (command.input.Range === undefined) budget.charge(Number((answer as { ContentLength?: unknown }).ContentLength) || 0);
      body.once('close', release);
      body.once('end', release);
      body.once('error', release);
    } else {
      release();
    }
    return answer;
  };
  // Everything else (config, middleware, destroy) is the real client's. The data plane's own fallback to the SDK
  // goes to the real client: one request takes room once.
  const client = Object.create(real, { send: { value: budgeted((c, o) => (real.send as (c: unknown, o?: unknown) => Promise<unknown>)(c, o)) } }) as S3Client;
  const data: DataPlane = {
    send: budgeted((c, o) => ctx.data.send(c as DataCommand, o as DataSendOptions)) as unknown as DataPlane['send'],
    // A GET into a file holds its room until its last byte is written; when the lean reader cannot serve it, the
    // room is given back at once and the caller's `send` takes its own.
    async getIntoFile(command, target, onWritten, signal) {
      const input = command.input as unknown as Record<string, unknown>;
      const release = await budget.acquire(requestBytes(input), signal);
      if (input.Range === undefined) budget.charge(target.maxBytes ?? 0);
      try {
        return await ctx.data.getIntoFile(command, target, onWritten, signal);
      } finally {
        release();
      }
    },
    destroy: () => ctx.data.destroy(),
  };
  return { ...ctx, client, data };
}
