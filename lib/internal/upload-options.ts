import type { ErrorContext, S3Error } from '../errors';
import type { Budget } from './budget';
import { DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE, type UploadPlan } from './multipart';
import { checkBucket, checkCount, checkKey, checkMetadata, firstProblem } from './validate';

/**
 * Options shared by `uploadFile` and `uploadStream` (their last argument). Values out of range make the
 * operation emit one `Err` (`InvalidInput`) before any request.
 *
 * @example
 * ```ts
 * const options: UploadOptions = { partSize: 16 * 1024 * 1024, concurrency: 2, contentType: 'application/gzip' };
 * rx.uploadFile('backups', 'db.gz', './db.gz', options).subscribe(console.log);
 * rx.uploadStream('backups', 'logs.gz', process.stdin, options).subscribe(console.log);
 * ```
 */
export interface UploadOptions {
  /** Bytes per part, at least 5 MiB; grown automatically when needed to stay within 10,000 parts. Default 8 MiB. Also the single-PUT threshold. */
  readonly partSize?: number;
  /** Parts in flight at once. Default 4. */
  readonly concurrency?: number;
  /** User metadata, stored as `x-amz-meta-*`. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /** At most one progress tick per this many milliseconds (default 100); 0 for a tick on every counted slice. */
  readonly progressInterval?: number;
  /** A budget shared with other transfers and bulk jobs: every request of this upload takes room in it. */
  readonly budget?: Budget;
}

export function checkUploadOptions(bucket: string, key: string, options: UploadOptions, context: ErrorContext): S3Error | undefined {
  return firstProblem(
    checkBucket(bucket, context),
    checkKey(key, context),
    checkMetadata(options.metadata, context),
    options.partSize === undefined ? undefined : checkCount(options.partSize, 'partSize', context, MIN_PART_SIZE, MAX_PART_SIZE),
    options.concurrency === undefined ? undefined : checkCount(options.concurrency, 'concurrency', context, 1, 64),
    options.progressInterval === undefined ? undefined : checkCount(options.progressInterval, 'progressInterval', context, 0),
  );
}

export function uploadPlan(bucket: string, key: string, options: UploadOptions): UploadPlan {
  return {
    bucket,
    key,
    metadata: options.metadata,
    contentType: options.contentType,
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    concurrency: options.concurrency ?? 4,
  };
}
