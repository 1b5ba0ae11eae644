import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { DataChunk, StreamEvent } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkSseCustomerKey, sseCustomerFields, type SseCustomerKey } from '../internal/sse';
import { checkBucket, checkCount, checkKey, firstProblem } from '../internal/validate';

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
  /** Stream this version (in a versioned bucket) instead of the latest. */
  readonly versionId?: string;
  /** The object's SSE-C customer key, when it is encrypted with one. */
  readonly sseCustomerKey?: SseCustomerKey;
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
    checkSseCustomerKey(options.sseCustomerKey, context),
  );
  return unlessInvalid(problem, () =>
    fromTransfer<{ bucket: string; key: string; size: number; etag: string | undefined }, DataChunk>(
      ctx,
      context,
      progressPolicy(options.progressInterval),
      async ({ signal, meter, emit }) => {
        const answer = await ctx.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, ...sseCustomerFields(options.sseCustomerKey) }), { abortSignal: signal });
        const body = answer.Body as Readable;
        const destroy = (): void => {
          body.destroy();
        };
        signal.addEventListener('abort', destroy, { once: true });
        try {
          meter.setTotal(answer.ContentLength);
          meter.start();
          let size = 0;
          for await (const chunk of body as AsyncIterable<Buffer>) {
            size += chunk.length;
            emit({ kind: 'data', chunk });
            meter.add(chunk.length);
          }
          return { bucket, key, size, etag: answer.ETag };
        } finally {
          signal.removeEventListener('abort', destroy);
        }
      },
    ),
  );
}
