import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { isRetryable, toS3Error, type ErrorContext } from '../errors';
import type { ClientContext } from './context';
import { writeAt } from './file-writer';
import { PartCounter, type ProgressMeter } from './progress';
import type { SseCustomerFields } from './sse';

/** One object version to fetch: every request is pinned to `etag` with If-Match. */
export interface DownloadPlan {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly partSize: number;
  readonly concurrency: number;
  /** The version to read, in a versioned bucket. */
  readonly versionId?: string;
  /** SSE-C fields, sent with every range. */
  readonly sseCustomer?: SseCustomerFields;
}

/** Attempts per range: a range whose body breaks off is resumed from the byte it reached. */
const RANGE_ATTEMPTS = 3;

/**
 * Fetches the whole object into `handle`, as one GET when it fits in one part, else as ranged GETs of `partSize`
 * with up to `concurrency` in flight, each written at its offset. Resolves with the number of GET requests.
 * Rejects on the first range that fails for good, after aborting the others (through `signal`'s child).
 */
export async function fetchInto(ctx: ClientContext, plan: DownloadPlan, handle: FileHandle, meter: ProgressMeter, signal: AbortSignal): Promise<number> {
  const context: ErrorContext = { operation: 'downloadFile', bucket: plan.bucket, key: plan.key };
  const ranges: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < plan.size; start += plan.partSize) ranges.push({ start, end: Math.min(plan.size, start + plan.partSize) - 1 });
  if (ranges.length <= 1) {
    await fetchRange(ctx, plan, handle, { start: 0, end: plan.size - 1 }, new PartCounter(meter), signal, context, false);
    return 1;
  }
  const group = new AbortController();
  const stop = (): void => group.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  let requests = 0;
  let failure: { cause: unknown } | undefined;
  try {
    let nextRange = 0;
    const worker = async (): Promise<void> => {
      while (nextRange < ranges.length && !group.signal.aborted) {
        const range = ranges[nextRange++]!;
        try {
          const made = await fetchRange(ctx, plan, handle, range, new PartCounter(meter), group.signal, context, true);
          requests += made; // not `requests += await ...`: that reads `requests` before the await and loses updates
        } catch (cause) {
          failure ??= { cause };
          group.abort(cause);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, ranges.length) }, worker));
  } finally {
    signal.removeEventListener('abort', stop);
  }
  if (failure !== undefined) throw failure.cause;
  signal.throwIfAborted();
  return requests;
}

/** GETs bytes `start..end` (inclusive) into the file, resuming a body that broke off. Returns the requests made. */
async function fetchRange(
  ctx: ClientContext,
  plan: DownloadPlan,
  handle: FileHandle,
  range: { start: number; end: number },
  counter: PartCounter,
  signal: AbortSignal,
  context: ErrorContext,
  ranged: boolean,
): Promise<number> {
  let position = range.start;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const answer = await ctx.client.send(
        new GetObjectCommand({
          ...plan.sseCustomer,
          VersionId: plan.versionId,
          Bucket: plan.bucket,
          Key: plan.key,
          IfMatch: plan.etag,
          Range: ranged || position > range.start ? `bytes=${position}-${range.end}` : undefined,
        }),
        { abortSignal: signal },
      );
      const body = answer.Body as Readable;
      position = await writeAt(handle, body, position, (bytes) => counter.add(bytes));
      if (position !== range.end + 1) throw Object.assign(new Error(`the body ended at byte ${position} of ${range.end + 1}`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      return attempt;
    } catch (cause) {
      const error = toS3Error(cause, context);
      if (signal.aborted || attempt >= RANGE_ATTEMPTS || !isRetryable(error)) throw cause;
    }
  }
}
