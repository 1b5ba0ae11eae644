import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { isRetryable, s3Error, toS3Error, type S3Error } from '../errors';
import type { DataChunk, StreamEvent } from '../events';
import type { ClientContext } from '../internal/context';
import { beforeResume } from '../internal/ranged-download';
import { unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type TimeoutOptions } from '../internal/timeouts';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkSseCustomerKey, sseCustomerFields, type SseCustomerKey } from '../internal/sse';
import { checkBucket, checkCount, checkFlag, checkKey, firstProblem } from '../internal/validate';
import { Crc32, expectedDigest, mismatch, type ExpectedDigest } from '../internal/integrity';

/**
 * Options of `downloadStream` (its last argument).
 *
 * @example
 * ```ts
 * rx.downloadStream('logs', 'today.log', { progressInterval: 0 }).pipe(filterResultOk())
 *   .subscribe((e) => e.kind === 'progress' && console.log(e.transferredBytes)); // a tick per chunk
 * rx.downloadStream('logs', 'today.log', { writeTo: process.stdout }).subscribe(); // at the pace stdout drains
 * ```
 */
export interface DownloadStreamOptions {
  /** At most one progress tick per this many milliseconds (default 100); 0 for a tick per chunk. */
  readonly progressInterval?: number;
  /**
   * Write the bytes into this stream, at its pace (its backpressure pauses the download), instead of emitting
   * `data` events. It is not ended: the `complete` event says every byte was written. A failed write is one `Err`
   * of kind `LocalFile`.
   */
  readonly writeTo?: Writable;
  /** Timeouts of this call (over the client's `timeouts`), and its deadline: see {@link TimeoutOptions}. */
  readonly timeouts?: TimeoutOptions;
  /** Stream this version (in a versioned bucket) instead of the latest. */
  readonly versionId?: string;
  /** The object's SSE-C customer key, when it is encrypted with one. */
  readonly sseCustomerKey?: SseCustomerKey;
  /**
   * Verify the bytes against the object's whole-object CRC32 when it has one (rx-s3's metadata digest or a
   * full-object CRC32 the server stores), as they pass: a mismatch ends the stream with `Err(Integrity)` instead
   * of `complete` (the chunks already emitted are then not the object). Default true.
   */
  readonly integrity?: boolean;
}

/** Attempts in a row that deliver no byte before a download gives up. */
const ATTEMPTS = 3;

/**
 * Streams an object's bytes as they arrive. Emits `Ok({ kind: 'data', chunk })` in byte order (or, with
 * `writeTo`, writes them there), interleaved with progress ticks (`totalBytes` from the answer's
 * Content-Length), then one `Ok({ kind: 'complete', output })`, then completes; or one `Err`, then completes.
 * Unsubscribing destroys the body and aborts the request.
 *
 * A body that breaks off, stalls or ends short is asked again from the first byte not yet delivered, pinned to
 * the first answer's ETag (If-Match): no byte is emitted twice, and an object replaced meanwhile ends the stream
 * with `PreconditionFailed`.
 *
 * An Observable has no backpressure: `data` chunks are emitted as fast as the network delivers them. To feed a
 * slow writer, pass it as `writeTo`, or use `getObject` (a `Readable`) or `downloadFile`.
 */
export function downloadStream(ctx: ClientContext, bucket: string, key: string, options: DownloadStreamOptions = {}): Observable<Result<StreamEvent, S3Error>> {
  const context = { operation: 'downloadStream', bucket, key };
  const { writeTo } = options;
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkKey(key, context),
    options.progressInterval === undefined ? undefined : checkCount(options.progressInterval, 'progressInterval', context, 0),
    writeTo === undefined || typeof writeTo.write === 'function' ? undefined : s3Error('InvalidInput', context, 'writeTo must be a Node Writable'),
    checkTimeouts(options.timeouts, context),
    checkSseCustomerKey(options.sseCustomerKey, context),
    checkFlag(options.integrity, 'integrity', context),
  );
  return unlessInvalid(problem, () =>
    fromTransfer<{ bucket: string; key: string; size: number; etag: string | undefined }, DataChunk>(
      ctx,
      context,
      progressPolicy(options.progressInterval),
      async ({ signal, meter, emit }) => {
        let position = 0;
        let etag: string | undefined;
        let total: number | undefined;
        let expected: ExpectedDigest | undefined;
        let digest: Crc32 | undefined;
        let started = false;
        let fruitless = 0;
        // The last chunk handed to `writeTo`, settled once the writer processed it (and every chunk before it).
        let lastWrite: Promise<void> = Promise.resolve();
        for (;;) {
          const before = position;
          try {
            const answer = await ctx.data.send(
              new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, ...sseCustomerFields(options.sseCustomerKey), IfMatch: etag, Range: position > 0 ? `bytes=${position}-` : undefined }),
              { abortSignal: signal },
            );
            if (!started) {
              started = true;
              etag = answer.ETag;
              total = answer.ContentLength;
              // Resumes never repeat a byte, so one running CRC over every chunk is the whole object's.
              expected = options.integrity === false ? undefined : expectedDigest(answer);
              digest = expected === undefined ? undefined : new Crc32();
              meter.setTotal(total);
              meter.start();
            }
            const body = answer.Body as Readable;
            for await (const chunk of body as AsyncIterable<Buffer>) {
              if (total !== undefined && position + chunk.length > total) throw s3Error('Integrity', context, `the server sent more than the ${total} bytes announced`);
              position += chunk.length;
              digest?.update(chunk);
              if (writeTo === undefined) emit({ kind: 'data', chunk });
              else lastWrite = (await write(writeTo, chunk, signal)).processed;
              meter.add(chunk.length);
            }
            if (total !== undefined && position !== total) {
              throw Object.assign(new Error(`the body ended at byte ${position} of ${total}`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
            }
            // Complete means written: the writer has processed every byte (not just buffered the last ones).
            await lastWrite;
            const actual = digest?.base64();
            if (expected !== undefined && actual !== expected.value) {
              throw s3Error('Integrity', context, `${mismatch(expected, actual ?? '')}: the data emitted is not the object`);
            }
            return { bucket, key, size: position, etag };
          } catch (cause) {
            fruitless = position > before ? 1 : fruitless + 1;
            if (signal.aborted || fruitless >= ATTEMPTS || !isRetryable(toS3Error(cause, context))) throw cause;
            await beforeResume(fruitless, signal);
          }
        }
      },
      { timeouts: options.timeouts },
    ),
  );
}

/**
 * Writes `chunk`, waiting for 'drain' when the writer is full; `processed` settles when the writer has processed
 * the chunk (its write callback). A failed write is a local failure, never retried.
 */
async function write(writer: Writable, chunk: Buffer, signal: AbortSignal): Promise<{ processed: Promise<void> }> {
  try {
    if (writer.destroyed || writer.writableEnded) throw Object.assign(new Error('the writeTo stream is closed'), { code: 'EPIPE' });
    let accepted = true;
    const processed = new Promise<void>((resolve, reject) => {
      accepted = writer.write(chunk, (error) => (error === undefined || error === null ? resolve() : reject(writeFailure(error))));
    });
    processed.catch(() => undefined); // seen where it is awaited; never an unhandled rejection
    if (!accepted) await once(writer, 'drain', { signal });
    return { processed };
  } catch (cause) {
    if (signal.aborted) throw cause;
    throw writeFailure(cause);
  }
}

/** A failed write to `writeTo`, as a local failure (`path: 'writeTo'`). */
function writeFailure(cause: unknown): Error {
  const code = (cause as { code?: unknown }).code;
  return Object.assign(new Error(`writing to writeTo failed: ${(cause as Error).message}`), { code: typeof code === 'string' ? code : 'EIO', path: 'writeTo', cause });
}
