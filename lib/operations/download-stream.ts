import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { DataChunk, StreamEvent } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkBucket, checkCount, checkFlag, checkKey, firstProblem } from '../internal/validate';
import { Crc32, expectedDigest, mismatch } from '../internal/integrity';

/**
 * Options of `downloadStream` (its last argument).
 *
 * @example
 * ```ts
 * rx.downloadStream('logs', 'today.log', { progressInterval: 0 }).pipe(filterResultOk())
 *   .subscribe((e) => e.kind === 'progress' && console.log(e.transferredBytes)); // a tick per chunk
 * ```
 */
export interface DownloadStreamOptions {
  /** At most one progress tick per this many milliseconds (default 100); 0 for a tick per chunk. */
  readonly progressInterval?: number;
  /**
   * Verify the bytes against the object's whole-object CRC32 when it has one (rx-s3's metadata digest or a
   * full-object CRC32 the server stores), as they pass: a mismatch ends the stream with `Err(Integrity)` instead
   * of `complete` (the chunks already emitted are then not the object). Default true.
   */
  readonly integrity?: boolean;
}

/**
 * Streams an object's bytes as they arrive, through one GET. Emits `Ok({ kind: 'data', chunk })` in byte order,
 * interleaved with progress ticks (`totalBytes` from the answer's Content-Length), then one
 * `Ok({ kind: 'complete', output })`, then completes; or one `Err`, then completes. Unsubscribing destroys the
 * body and aborts the request.
 *
 * An Observable has no backpressure: chunks are emitted as fast as the network delivers them. To pipe into a
 * slow writer, prefer `getObject` (a `Readable`) or `downloadFile`.
 */
export function downloadStream(ctx: ClientContext, bucket: string, key: string, options: DownloadStreamOptions = {}): Observable<Result<StreamEvent, S3Error>> {
  const context = { operation: 'downloadStream', bucket, key };
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkKey(key, context),
    options.progressInterval === undefined ? undefined : checkCount(options.progressInterval, 'progressInterval', context, 0),
    checkFlag(options.integrity, 'integrity', context),
  );
  return unlessInvalid(problem, () =>
    fromTransfer<{ bucket: string; key: string; size: number; etag: string | undefined }, DataChunk>(
      ctx,
      context,
      progressPolicy(options.progressInterval),
      async ({ signal, meter, emit }) => {
        const answer = await ctx.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
        const body = answer.Body as Readable;
        const destroy = (): void => {
          body.destroy();
        };
        signal.addEventListener('abort', destroy, { once: true });
        try {
          meter.setTotal(answer.ContentLength);
          meter.start();
          const expected = options.integrity === false ? undefined : expectedDigest(answer);
          const digest = expected === undefined ? undefined : new Crc32();
          let size = 0;
          for await (const chunk of body as AsyncIterable<Buffer>) {
            size += chunk.length;
            digest?.update(chunk);
            emit({ kind: 'data', chunk });
            meter.add(chunk.length);
          }
          const actual = digest?.base64();
          if (expected !== undefined && actual !== expected.value) {
            throw s3Error('Integrity', context, `${mismatch(expected, actual ?? '')}: the data emitted is not the object`);
          }
          return { bucket, key, size, etag: answer.ETag };
        } finally {
          signal.removeEventListener('abort', destroy);
        }
      },
    ),
  );
}
