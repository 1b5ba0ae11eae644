import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import { s3Error, type ErrorContext, type S3Error } from '../errors';
import { DEFAULT_PART_SIZE, LARGEST_PART, MIN_PART_SIZE, type UploadPlan } from './multipart';
import { checkSseCustomerKey, sseCustomerFields, type SseCustomerKey } from './sse';
import { checkTags, taggingHeader, type ObjectTags } from './tags';
import { checkTimeouts, type TimeoutOptions } from './timeouts';
import type { Budget } from './budget';
import { checkBucket, checkCount, checkFlag, checkHeaderValue, checkMetadata, checkNewKey, firstProblem } from './validate';

/**
 * The SDK's own PutObject input fields that `putObject`, `uploadFile` and `uploadStream` let through (their
 * `params` option, as lib-storage's `Upload` takes them): CacheControl, ContentDisposition, StorageClass,
 * ServerSideEncryption (`'AES256'` for SSE-S3, `'aws:kms'` with SSEKMSKeyId for SSE-KMS), ACL... rx-s3's typed
 * options win where they overlap. A multipart upload sends them with CreateMultipartUpload (and IfNoneMatch with
 * CompleteMultipartUpload).
 *
 * @example
 * ```ts
 * const params: WriteParams = { CacheControl: 'max-age=3600', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/app' };
 * rx.uploadFile('site', 'index.html', './index.html', { contentType: 'text/html', params }).subscribe(console.log);
 * ```
 */
export type WriteParams = Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body' | 'ContentLength' | 'ContentMD5'>;

/**
 * What `putObject`, `uploadFile` and `uploadStream` write besides the bytes: the options they share.
 *
 * @example
 * ```ts
 * const write: WriteOptions = { contentType: 'text/plain', tags: { team: 'data' }, ifNoneMatch: '*' };
 * rx.putObject('notes', 'once.txt', 'first writer wins', write).subscribe((r) => r.err && console.log(r.val.kind)); // PreconditionFailed
 * ```
 */
export interface WriteOptions {
  /** User metadata, stored as `x-amz-meta-*`. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /** Object tags (at most 10). */
  readonly tags?: ObjectTags;
  /** `'*'`: write only if the key does not exist yet; otherwise the write is one `Err(PreconditionFailed)`. */
  readonly ifNoneMatch?: '*';
  /** Encrypt with this SSE-C customer key (32 bytes); every later read must give it too. */
  readonly sseCustomerKey?: SseCustomerKey;
  /** The SDK's PutObject fields, passed through (see {@link WriteParams}); the typed options above win. */
  readonly params?: WriteParams;
}

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
export interface UploadOptions extends WriteOptions {
  /** Bytes per part, at least 5 MiB; grown automatically when needed to stay within 10,000 parts. Default 8 MiB. Also the single-PUT threshold. */
  readonly partSize?: number;
  /** Parts in flight at once. Default 4. */
  readonly concurrency?: number;
  /** At most one progress tick per this many milliseconds (default 100); 0 for a tick on every counted slice. */
  readonly progressInterval?: number;
  /** Timeouts of this call (over the client's `timeouts`), and its deadline: see {@link TimeoutOptions}. */
  readonly timeouts?: TimeoutOptions;
  /**
   * Record the whole object's CRC32 in its user metadata (`x-amz-meta-rxs3-crc32`), which `downloadFile` and
   * `downloadStream` verify: a byte corrupted on the way in or out becomes `Err(Integrity)`, on any server.
   * Default true. `uploadFile` reads a multipart file once more to know it before the upload (CRC32: about 0.3
   * CPU-s/GiB); `uploadStream` records it only for a stream that fits in one part.
   */
  readonly integrity?: boolean;
  /** A budget shared with other transfers and bulk jobs: every request of this upload takes room in it. */
  readonly budget?: Budget;
}

/** The checks of {@link WriteOptions}. */
export function checkWriteOptions(options: WriteOptions, context: ErrorContext): S3Error | undefined {
  return firstProblem(
    checkMetadata(options.metadata, context),
    checkHeaderValue(options.contentType, 'contentType', context),
    checkTags(options.tags, context),
    checkSseCustomerKey(options.sseCustomerKey, context),
    options.ifNoneMatch === undefined || options.ifNoneMatch === '*'
      ? undefined
      : s3Error('InvalidInput', context, `ifNoneMatch must be '*', got ${JSON.stringify(options.ifNoneMatch)}`),
  );
}

/** The SDK input fields of a write: `params`, then the typed options over them (where given). */
export function writeFields(options: WriteOptions): WriteParams {
  const typed: WriteParams = {
    ContentType: options.contentType,
    Metadata: options.metadata,
    Tagging: taggingHeader(options.tags),
    IfNoneMatch: options.ifNoneMatch,
    ...sseCustomerFields(options.sseCustomerKey),
  };
  return { ...options.params, ...Object.fromEntries(Object.entries(typed).filter(([, value]) => value !== undefined)) };
}

export function checkUploadOptions(bucket: string, key: string, options: UploadOptions, context: ErrorContext): S3Error | undefined {
  return firstProblem(
    checkBucket(bucket, context),
    checkNewKey(key, context),
    checkWriteOptions(options, context),
    options.partSize === undefined ? undefined : checkCount(options.partSize, 'partSize', context, MIN_PART_SIZE, LARGEST_PART),
    options.concurrency === undefined ? undefined : checkCount(options.concurrency, 'concurrency', context, 1, 64),
    options.progressInterval === undefined ? undefined : checkCount(options.progressInterval, 'progressInterval', context, 0),
    checkTimeouts(options.timeouts, context),
    checkFlag(options.integrity, 'integrity', context),
  );
}

export function uploadPlan(bucket: string, key: string, options: UploadOptions): UploadPlan {
  const params = writeFields(options);
  return {
    bucket,
    key,
    metadata: params.Metadata,
    contentType: params.ContentType,
    partSize: options.partSize ?? DEFAULT_PART_SIZE,
    concurrency: options.concurrency ?? 4,
    params,
    sseCustomer: sseCustomerFields(options.sseCustomerKey),
    integrity: options.integrity !== false,
  };
}
