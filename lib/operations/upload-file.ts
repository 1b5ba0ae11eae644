import { open } from 'node:fs/promises';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { FileUploadEvent, SizedTransferProgress, UploadOutput } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { fileCrc32 } from '../internal/integrity';
import { underBudget } from '../internal/budget';
import { runUpload } from '../internal/multipart';
import { fileSource, PartBuffers } from '../internal/part-source';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkUploadOptions, uploadPlan, type UploadOptions } from '../internal/upload-options';

/**
 * Options of `uploadFile` (its last argument): the {@link UploadOptions} shared with `uploadStream`.
 *
 * @example
 * ```ts
 * rx.uploadFile('videos', 'talk.mp4', './talk.mp4', { partSize: 16 * 1024 * 1024, concurrency: 8, contentType: 'video/mp4' })
 *   .pipe(filterResultOk()).subscribe((e) => e.kind === 'complete' && console.log(e.output.parts, 'parts'));
 * ```
 */
export type UploadFileOptions = UploadOptions;

/**
 * Uploads a local file. Emits `Ok` progress ticks (byte-level, also inside a part: `totalBytes` is the file's
 * size), then one `Ok({ kind: 'complete', output })`, then completes; or one `Err` (`LocalFile` for a missing or
 * unreadable file, before any request), then completes.
 *
 * Files up to `partSize` (default 8 MiB) go in one PutObject; larger ones as a multipart upload with
 * `concurrency` parts in flight (default 4), each read from the file at its offset, so memory stays near
 * `partSize x concurrency`. Unsubscribing or a failure aborts the requests in flight, then aborts the multipart
 * upload: no half object, no stranded parts (`rx.flushCleanups()` waits for that clean-up).
 */
export function uploadFile(ctx: ClientContext, bucket: string, key: string, filePath: string, options: UploadFileOptions = {}): Observable<Result<FileUploadEvent, S3Error>> {
  const context = { operation: 'uploadFile', bucket, key };
  const problem = checkUploadOptions(bucket, key, options, context) ??
    (typeof filePath === 'string' && filePath !== '' ? undefined : s3Error('InvalidInput', context, 'filePath must be a non-empty string'));
  return unlessInvalid(problem, () =>
    fromTransfer<UploadOutput, never, SizedTransferProgress>(
      ctx,
      context,
      progressPolicy(options.progressInterval),
      async ({ signal, meter, hold }) => {
        const handle = await open(filePath, 'r');
        hold(() => handle.close().catch(() => undefined));
        const stat = await handle.stat();
        if (!stat.isFile()) throw Object.assign(new Error(`${filePath} is not a regular file`), { code: 'EISDIR', path: filePath });
        const planned = uploadPlan(bucket, key, options);
        // A multipart upload names its metadata first: the digest needs a first reading of the file.
        const plan = planned.integrity && stat.size > planned.partSize ? { ...planned, digest: await fileCrc32(handle, filePath, stat, signal) } : planned;
        return await runUpload(underBudget(ctx, options.budget), plan, fileSource(handle, stat.size, filePath, new PartBuffers(plan.concurrency + 1)), meter, signal, hold);
      },
      // The cache forgets the key once the upload really ended, not when the subscriber left.
      { timeouts: options.timeouts, settled: () => ctx.metadataCache?.invalidate(bucket, [key]) },
    ),
  );
}
