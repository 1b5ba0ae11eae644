import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { isRetryable, s3Error, toS3Error, type ErrorContext } from '../errors';
import type { ClientContext } from './context';
import { Crc32, type DigestSource } from './integrity';
import { writeAt, type WriteCursor } from './file-writer';
import type { ProgressMeter } from './progress';
import type { SseCustomerFields } from './sse';

/** One object version to fetch: every request is pinned to `etag` with If-Match. */
export interface DownloadPlan {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly partSize: number;
  readonly concurrency: number;
  /** The file the bytes end up in (named in local-file errors). */
  readonly filePath: string;
  /** The version to read, in a versioned bucket. */
  readonly versionId?: string;
  /** SSE-C fields, sent with every range. */
  readonly sseCustomer?: SseCustomerFields;
  /** Ask for the stored checksum with every GET (`ChecksumMode: 'ENABLED'`). */
  readonly checksumMode?: 'ENABLED';
  /** Compute the CRC32 of a ranged download as its bytes arrive (one GET always has it), to verify the file. */
  readonly digest?: boolean;
}

/** What {@link fetchInto} saw: the requests made, the first answer's digest fields, the CRC32 of the bytes. */
export interface FetchOutcome {
  /** HTTP requests made, every retry and resume counted. */
  readonly requests: number;
  /** The `x-amz-meta-*` and checksum fields of the first answer (every GET is pinned to one version). */
  readonly answer: DigestSource | undefined;
  /**
   * The CRC32 of the bytes written, computed as they arrived: always for one GET (with its resumes), for ranged GETs
   * when the plan asked for it (each range's, combined in order).
   */
  readonly crc32: string | undefined;
}

/**
 * Resumes per range: a range whose body breaks off, stalls or ends short is asked again from the first byte not
 * yet written, up to this many times in a row without progress.
 */
const RANGE_ATTEMPTS = 3;

/**
 * Waits before resuming a body after `fruitless` attempts in a row that brought nothing: at once after an attempt
 * that made progress, then 250 ms, 500 ms... (a restarting server gets time to come back). Aborted with `signal`.
 */
export async function beforeResume(fruitless: number, signal: AbortSignal): Promise<void> {
  if (fruitless > 1) await sleep(250 * 2 ** (fruitless - 2), undefined, { signal });
}

/** The HTTP requests a send made, retries included: the SDK's count from the answer or from the failure. */
export function attemptsOf(answerOrFailure: unknown): number {
  const attempts = (answerOrFailure as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 0 ? attempts : 1;
}

/**
 * Fetches the whole object into `handle`, as one GET when it fits in one part, else as ranged GETs of `partSize`
 * with up to `concurrency` in flight, each written at its offset. Resolves with the number of HTTP requests made
 * (every retry and resume counted), the first answer's digest fields, and the CRC32 of the bytes (for one GET, and
 * for ranged GETs with `plan.digest`: no second reading of the file).
 * Rejects on the first range that fails for good, after aborting the others.
 */
export async function fetchInto(ctx: ClientContext, plan: DownloadPlan, handle: FileHandle, meter: ProgressMeter, signal: AbortSignal): Promise<FetchOutcome> {
  const context: ErrorContext = { operation: 'downloadFile', bucket: plan.bucket, key: plan.key };
  const requests: RequestLog = { count: 0, answer: undefined };
  const ranges: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < plan.size; start += plan.partSize) ranges.push({ start, end: Math.min(plan.size, start + plan.partSize) - 1 });
  if (ranges.length <= 1) {
    // Every byte handed to the writer is written in order (a resume starts at the first byte not written).
    const digest = new Crc32();
    await fetchRange(ctx, plan, handle, { start: 0, end: plan.size - 1 }, meter, signal, context, false, requests, digest);
    return { requests: requests.count, answer: requests.answer, crc32: digest.base64() };
  }
  // A range's bytes reach its digest in order (a resume starts at the first byte not written): one running CRC32 per
  // range, combined in the ranges' order at the end.
  const digests = plan.digest === true ? ranges.map(() => new Crc32()) : undefined;
  const group = new AbortController();
  const stop = (): void => group.abort(signal.reason);
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  let failure: { cause: unknown } | undefined;
  try {
    let nextRange = 0;
    const worker = async (): Promise<void> => {
      while (nextRange < ranges.length && !group.signal.aborted) {
        const index = nextRange++;
        const range = ranges[index]!;
        try {
          await fetchRange(ctx, plan, handle, range, meter, group.signal, context, true, requests, digests?.[index]);
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
  const crc32 = digests?.reduce((whole, digest, i) => whole.append(digest.value, ranges[i]!.end - ranges[i]!.start + 1), new Crc32()).base64();
  return { requests: requests.count, answer: requests.answer, crc32 };
}

/** The requests of one download so far, and the first answer's digest fields. */
interface RequestLog {
  count: number;
  answer: DigestSource | undefined;
}

/**
 * GETs bytes `start..end` (inclusive) into the file. A body that breaks off, stalls or ends short is resumed from
 * the first byte not yet written (`Range` from there, still pinned by If-Match), so no byte is fetched or counted
 * twice. Gives up after {@link RANGE_ATTEMPTS} attempts in a row that wrote nothing.
 */
async function fetchRange(
  ctx: ClientContext,
  plan: DownloadPlan,
  handle: FileHandle,
  range: { start: number; end: number },
  meter: ProgressMeter,
  signal: AbortSignal,
  context: ErrorContext,
  ranged: boolean,
  requests: RequestLog,
  digest?: Crc32,
): Promise<void> {
  const cursor: WriteCursor = { position: range.start };
  const end = range.end + 1;
  let fruitless = 0;
  for (;;) {
    const before = cursor.position;
    let answered = false;
    try {
      const command = new GetObjectCommand({
        ...plan.sseCustomer,
        VersionId: plan.versionId,
        Bucket: plan.bucket,
        Key: plan.key,
        IfMatch: plan.etag,
        ChecksumMode: plan.checksumMode,
        Range: ranged || cursor.position > range.start ? `bytes=${cursor.position}-${range.end}` : undefined,
      });
      // The lean path's socket reader writes the body straight into the file, when it can serve the request.
      // The range's digest gets the chunks written, or from a TLS reader thread their CRC32, in order either way.
      const target = { fd: handle.fd, position: cursor.position, path: plan.filePath, maxBytes: end - cursor.position, wantsCrc32: digest !== undefined };
      const direct = await ctx.data.getIntoFile(command, target, (bytes, chunks, crc32) => {
        cursor.position += bytes;
        meter.add(bytes);
        if (digest === undefined) return;
        if (crc32 !== undefined) digest.append(crc32, bytes);
        else for (const chunk of chunks) digest.update(chunk);
      }, signal);
      const answer = direct ?? (await ctx.data.send(command, { abortSignal: signal }));
      answered = true;
      requests.count += attemptsOf(answer);
      requests.answer ??= { Metadata: answer.Metadata, ChecksumCRC32: answer.ChecksumCRC32, ChecksumType: answer.ChecksumType };
      if ('Body' in answer) {
        await writeAt(handle, plan.filePath, answer.Body as Readable, cursor, end, (bytes, chunk) => {
          meter.add(bytes);
          digest?.update(chunk);
        }, context);
      }
      if (cursor.position !== end) {
        throw Object.assign(new Error(`the body ended at byte ${cursor.position} of ${end}`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      }
      return;
    } catch (thrown) {
      // The socket reader refuses a body longer than the range before writing it: the same failure as writeAt's.
      const cause = (thrown as { code?: unknown }).code === 'ERR_BODY_TOO_LONG' ? s3Error('Integrity', context, `the server sent more than the ${end - cursor.position} bytes asked for`) : thrown;
      if (!answered) requests.count += attemptsOf(cause);
      fruitless = cursor.position > before ? 1 : fruitless + 1;
      const error = toS3Error(cause, context);
      if (signal.aborted || fruitless >= RANGE_ATTEMPTS || !isRetryable(error)) throw cause;
      await beforeResume(fruitless, signal);
    }
  }
}
