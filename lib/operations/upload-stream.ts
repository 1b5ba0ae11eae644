import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { UploadEvent } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { underBudget } from '../internal/budget';
import { runUpload } from '../internal/multipart';
import { PartBuffers, streamSource } from '../internal/part-source';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkStreamInput, streamOpener, type StreamInput } from '../internal/stream-input';
import { checkTimeouts } from '../internal/timeouts';
import { checkCount } from '../internal/validate';
import { checkUploadOptions, uploadPlan, type UploadOptions } from '../internal/upload-options';

/**
 * Options of `uploadStream` (its last argument): the {@link UploadOptions} plus the stream's length, if known.
 *
 * @example
 * ```ts
 * import { createReadStream, statSync } from 'node:fs';
 * rx.uploadStream('backups', 'db.dump', createReadStream('./db.dump'), { contentLength: statSync('./db.dump').size })
 *   .subscribe((r) => r.ok && r.val.kind === 'progress' && console.log(r.val.percent));
 * ```
 */
export interface UploadStreamOptions extends UploadOptions {
  /** The stream's length in bytes, if known: it makes `totalBytes` known and sizes the parts for it. */
  readonly contentLength?: number;
}

/**
 * Uploads a Node `Readable` of known or unknown length. Emits `Ok` progress ticks (`totalBytes` undefined when
 * the length is unknown), then one `Ok({ kind: 'complete', output })`, then completes; or one `Err`, then
 * completes.
 *
 * `stream` is a `Readable`, read by the first subscription only (a second one gets `Err(InvalidInput)`), or a
 * function returning a fresh `Readable` for each subscription. Chunks may be Buffers, strings or (object mode)
 * `Uint8Array`s. A stream that ends within one part goes in one PutObject; a longer one as a multipart upload whose part size
 * grows (doubling every 1,000 parts) so 10,000 parts are never exceeded. The stream is read only as fast as
 * parts are sent, so memory stays near `partSize x concurrency`. Unsubscribing or a failure aborts the multipart
 * upload (no stranded parts) and destroys the stream, also when the stream is idle (waiting for data).
 */
export function uploadStream(ctx: ClientContext, bucket: string, key: string, stream: StreamInput, options: UploadStreamOptions = {}): Observable<Result<UploadEvent, S3Error>> {
  const context = { operation: 'uploadStream', bucket, key };
  const problem = checkUploadOptions(bucket, key, options, context) ??
    (options.contentLength === undefined ? undefined : checkCount(options.contentLength, 'contentLength', context, 0)) ??
    checkTimeouts(options.timeouts, context) ??
    checkStreamInput(stream, 'stream', context);
  return unlessInvalid(problem, () => {
    const open = streamOpener(stream, context);
    return fromTransfer(
      ctx,
      context,
      progressPolicy(options.progressInterval),
      async ({ signal, meter, hold, onAbort }) => {
        const readable = open();
        const plan = uploadPlan(bucket, key, options);
        const source = streamSource(readable, options.contentLength, new PartBuffers(plan.concurrency + 1), context);
        // A source that sends nothing must not keep an aborted upload waiting: destroying it ends the read.
        onAbort(() => readable.destroy(Object.assign(new Error('the upload was stopped'), { name: 'AbortError' })));
        hold(() => source.close().catch(() => undefined));
        try {
          return await runUpload(underBudget(ctx, options.budget), plan, source, meter, signal, hold);
        } catch (cause) {
          readable.destroy();
          throw cause;
        }
      },
      // The cache forgets the key once the upload really ended, not when the subscriber left.
      { timeouts: options.timeouts, settled: () => ctx.metadataCache?.invalidate(bucket, [key]) },
    );
  });
}
