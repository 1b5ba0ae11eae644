import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { DownloadEvent, DownloadOutput, SizedTransferProgress } from '../events';
import type { ClientContext } from '../internal/context';
import { underBudget, type Budget } from '../internal/budget';
import { unlessInvalid } from '../internal/from-command';
import { headObject } from '../internal/head-object';
import { DEFAULT_PART_SIZE, MIN_PART_SIZE } from '../internal/multipart';
import { fetchInto } from '../internal/ranged-download';
import { checkTimeouts, type TimeoutOptions } from '../internal/timeouts';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkSseCustomerKey, sseCustomerFields, type SseCustomerKey } from '../internal/sse';
import { checkBucket, checkCount, checkFlag, checkKey, firstProblem } from '../internal/validate';
import { expectedDigest, mismatch, readsChecksums } from '../internal/integrity';

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
  /** Timeouts of this call (over the client's `timeouts`), and its deadline: see {@link TimeoutOptions}. */
  readonly timeouts?: TimeoutOptions;
  /** Download this version (in a versioned bucket) instead of the latest. */
  readonly versionId?: string;
  /** The object's SSE-C customer key: sent with the HeadObject and with every ranged GET. */
  readonly sseCustomerKey?: SseCustomerKey;
  /**
   * Verify the file against the object's whole-object CRC32, when it has one (rx-s3's `x-amz-meta-rxs3-crc32`
   * metadata, or a full-object CRC32 the server stores, from the HeadObject or, with `expect`, from the GET
   * answers), computed as the bytes are written (each range's, combined in order; about 0.3 CPU-s/GiB, no second
   * reading of the file); a mismatch is `Err(Integrity)` with no file at the destination. Default true; objects
   * without a digest cost nothing.
   */
  readonly integrity?: boolean;
  /** A budget shared with other transfers and bulk jobs: every request of this download takes room in it. */
  readonly budget?: Budget;
  /**
   * The object's size and ETag as a listing reported them: the HeadObject is skipped. Every GET is still pinned to
   * the ETag (If-Match), so an object changed since the listing fails the download instead of mixing versions,
   * and the digest to verify is taken from the first GET answer.
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
 * off, stalls or ends short is resumed from the first byte not yet written; `output.requests` counts every HTTP
 * request made, retries included. A missing destination directory is a `LocalFile` error before any request; a
 * failed write (disk full) is one `Err` of kind `LocalFile`, and the temp file is deleted.
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
    checkTimeouts(options.timeouts, context),
    checkSseCustomerKey(options.sseCustomerKey, context),
    checkFlag(options.integrity, 'integrity', context),
  );
  return unlessInvalid(problem, () =>
    fromTransfer<DownloadOutput, never, SizedTransferProgress>(ctx, context, progressPolicy(options.progressInterval), async ({ signal, meter, hold }) => {
      const destination = resolve(filePath);
      const directory = dirname(destination);
      // With `expect` (a bulk job, which made the directory) no request comes before the temp file's open, which
      // fails the same way for a missing directory: one stat less per file.
      if (options.expect === undefined) {
        const dir = await stat(directory);
        if (!dir.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR', path: directory });
      }

      const verify = options.integrity !== false;
      const checksumMode = verify && (await readsChecksums(ctx.client)) ? { ChecksumMode: 'ENABLED' as const } : {};
      // With `expect` (sizes and ETags from a listing) the HEAD is skipped: the digest comes with the GET answers.
      const head: HeadObjectCommandOutput | { ContentLength: number; ETag: string | undefined; Metadata?: undefined } = options.expect !== undefined
        ? { ContentLength: options.expect.size, ETag: options.expect.etag }
        : await headObject(ctx, context, { Bucket: bucket, Key: key, VersionId: options.versionId, ...sseCustomerFields(options.sseCustomerKey), ...checksumMode }, signal);
      const size = head.ContentLength ?? 0;
      meter.setTotal(size);
      meter.start();

      const temp = join(directory, `.${basename(destination)}.${randomBytes(6).toString('hex')}.rxs3-download`);
      const handle = await open(temp, 'wx').catch((cause: unknown) => {
        throw Object.assign(cause as object, { path: directory });
      });
      // Released in reverse order when the transfer ends, whatever way: close the handle, then delete the temp file.
      const keepTemp = hold(() => unlink(temp).catch(() => undefined));
      hold(() => handle.close().catch(() => undefined));
      const plan = { bucket, key, size, etag: head.ETag, partSize: options.partSize ?? DEFAULT_PART_SIZE, concurrency: options.concurrency ?? 4, filePath,
        versionId: options.versionId, sseCustomer: sseCustomerFields(options.sseCustomerKey), checksumMode: options.expect === undefined ? undefined : checksumMode.ChecksumMode,
        // The CRC32 as the bytes arrive, when there is a digest to check (a bulk job learns it from the answers).
        digest: verify && (options.expect !== undefined || expectedDigest(head) !== undefined) };
      const fetched = await fetchInto(ctx, plan, handle, meter, signal);
      // fetchInto resolves only when every range was written up to its end, into a file created empty here.
      await handle.close();
      const expected = !verify ? undefined : expectedDigest(options.expect === undefined ? head : fetched.answer ?? {});
      // The CRC32 was computed as the bytes were written (`plan.digest` whenever a digest can be expected).
      const corrupt = expected === undefined || fetched.crc32 === expected.value ? undefined : mismatch(expected, fetched.crc32 ?? '(not computed)');
      if (corrupt !== undefined) throw s3Error('Integrity', context, `${corrupt}; ${filePath} was left untouched`);
      signal.throwIfAborted();
      await rename(temp, destination);
      keepTemp();
      return { bucket, key, filePath: destination, size, etag: head.ETag, requests: fetched.requests };
    }, { timeouts: options.timeouts }),
  );
}
