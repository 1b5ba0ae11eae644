import type { Readable } from 'node:stream';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { UploadEvent } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { underBudget } from '../internal/budget';
import { runUpload } from '../internal/multipart';
import { PartBuffers, streamSource } from '../internal/part-source';
import { fromTransfer, progressPolicy } from '../internal/transfer';
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
 * A stream that ends within one part goes in one PutObject; a longer one as a multipart upload whose part size
 * grows (doubling every 1,000 parts) so 10,000 parts are never exceeded. The stream is read only as fast as
 * parts are sent, so memory stays near `partSize x concurrency`. Unsubscribing or a failure aborts the multipart
 * upload (no stranded parts) and destroys the stream.
 */
export function uploadStream(ctx: ClientContext, bucket: string, key: string, stream: Readable, options: UploadStreamOptions = {}): Observable<Result<UploadEvent, S3Error>> {
  const context = { operation: 'uploadStream', bucket, key };
  const problem = checkUploadOptions(bucket, key, options, context) ??
    (options.contentLength === undefined ? undefined : checkCount(options.contentLength, 'contentLength', context, 0)) ??
    (typeof stream?.[Symbol.asyncIterator] === 'function' ? undefined : s3Error('InvalidInput', context, 'stream must be a Node Readable'));
  return unlessInvalid(problem, () =>
    invalidating(ctx, bucket, () => [key],
      fromTransfer(ctx, context, progressPolicy(options.progressInterval), async ({ signal, meter }) => {
        const plan = uploadPlan(bucket, key, options);
        const source = streamSource(stream, options.contentLength, new PartBuffers(plan.concurrency + 1));
        try {
          return await runUpload(underBudget(ctx, options.budget), plan, source, meter, signal);
        } catch (cause) {
          stream.destroy();
          throw cause;
        } finally {
          await source.close().catch(() => undefined);
        }
      }),
    ),
  );
}
