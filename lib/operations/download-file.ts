import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { DownloadEvent } from '../events';
import type { ClientContext } from '../internal/context';
import { underBudget, type Budget } from '../internal/budget';
import { unlessInvalid } from '../internal/from-command';
import { DEFAULT_PART_SIZE, MIN_PART_SIZE } from '../internal/multipart';
import { fetchInto } from '../internal/ranged-download';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkBucket, checkCount, checkKey, firstProblem } from '../internal/validate';

/**
 * Options of `downloadFile` (its last argument).
 *
 * @example
 * ```ts
 * rx.downloadFile('videos', 'talk.mp4', './talk.mp4', { partSize: 32 * 1024 * 1024, concurrency: 8, progressInterval: 1000 })
 *   .subscribe((r) => r.err && console.error(r.val.kind, r.val.message));
 * ```
 */
export interface DownloadFileOptions {
  /** Bytes per ranged GET, at least 5 MiB; objects up to this size come in one GET. Default 8 MiB. */
  readonly partSize?: number;
  /** Ranged GETs in flight at once. Default 4. */
  readonly concurrency?: number;
  /** At most one progress tick per this many milliseconds (default 100); 0 for a tick per chunk. */
  readonly progressInterval?: number;
  /** A budget shared with other transfers and bulk jobs: every request of this download takes room in it. */
  readonly budget?: Budget;
  /**
   * The object's size and ETag as a listing reported them: the HeadObject is skipped. Every GET is still pinned to
   * the ETag (If-Match), so an object changed since the listing fails the download instead of mixing versions.
   */
  readonly expect?: { readonly size: number; readonly etag: string | undefined };
}

/**
 * Downloads an object to a local file, atomically. Emits `Ok` progress ticks (`totalBytes` from HeadObject), then
 * one `Ok({ kind: 'complete', output })`, then completes; or one `Err`, then completes.
 *
 * The bytes go to a temp file beside the destination, which replaces the destination (rename) only once every
 * byte arrived and the size matches: a failed or cancelled download never leaves a truncated file, and an
 * existing destination stays untouched. Above `partSize`, ranged GETs run in parallel, each written at its
 * offset; every request is pinned to the ETag of the HeadObject answer (If-Match), so an object overwritten
 * meanwhile fails the download (`PreconditionFailed`) instead of mixing two versions. A range whose body breaks
 * off is resumed. A missing destination directory is a `LocalFile` error before any request.
 */
export function downloadFile(unbudgeted: ClientContext, bucket: string, key: string, filePath: string, options: DownloadFileOptions = {}): Observable<Result<DownloadEvent, S3Error>> {
  const ctx = underBudget(unbudgeted, options.budget);
  const context = { operation: 'downloadFile', bucket, key };
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkKey(key, context),
    typeof filePath === 'string' && filePath !== '' ? undefined : s3Error('InvalidInput', context, 'filePath must be a non-empty string'),
    options.partSize === undefined ? undefined : checkCount(options.partSize, 'partSize', context, MIN_PART_SIZE),
    options.concurrency === undefined ? undefined : checkCount(options.concurrency, 'concurrency', context, 1, 64),
    options.progressInterval === undefined ? undefined : checkCount(options.progressInterval, 'progressInterval', context, 0),
  );
  return unlessInvalid(problem, () =>
    fromTransfer(ctx, context, progressPolicy(options.progressInterval), async ({ signal, meter }) => {
      const destination = resolve(filePath);
      const directory = dirname(destination);
      const dir = await stat(directory);
      if (!dir.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR', path: directory });

      const head = options.expect !== undefined
        ? { ContentLength: options.expect.size, ETag: options.expect.etag }
        : await ctx.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      const size = head.ContentLength ?? 0;
      meter.setTotal(size);
      meter.start();

      const temp = join(directory, `.${basename(destination)}.${randomBytes(6).toString('hex')}.rxs3-download`);
      const handle = await open(temp, 'wx');
      try {
        const plan = { bucket, key, size, etag: head.ETag, partSize: options.partSize ?? DEFAULT_PART_SIZE, concurrency: options.concurrency ?? 4 };
        const requests = await fetchInto(ctx, plan, handle, meter, signal);
        await handle.close();
        const written = (await stat(temp)).size;
        if (written !== size) throw s3Error('Integrity', context, `received ${written} bytes of ${size}; ${filePath} was left untouched`);
        signal.throwIfAborted();
        await rename(temp, destination);
        return { bucket, key, filePath: destination, size, etag: head.ETag, requests };
      } catch (cause) {
        await handle.close().catch(() => undefined);
        await unlink(temp).catch(() => undefined);
        throw cause;
      }
    }),
  );
}
