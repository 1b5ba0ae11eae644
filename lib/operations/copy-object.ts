import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { ErrorContext, S3Error } from '../errors';
import type { CopyEvent } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { checkObjectRef, type ObjectRef } from '../internal/copy-source';
import { unlessInvalid } from '../internal/from-command';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../internal/multipart';
import {
  DEFAULT_COPY_CONCURRENCY,
  DEFAULT_COPY_PART_SIZE,
  DEFAULT_COPY_THRESHOLD,
  runCopy,
  type CopyParams,
} from '../internal/multipart-copy';
import { checkSseCustomerKey, type SseCustomerKey } from '../internal/sse';
import { checkTags, type ObjectTags } from '../internal/tags';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { fromTransfer, progressPolicy } from '../internal/transfer';
import { checkCount, checkMetadata, firstProblem } from '../internal/validate';

export type { CopyParams } from '../internal/multipart-copy';

/**
 * Options of `copyObject` (its last argument). Values out of range make the copy emit one `Err`
 * (`InvalidInput`) before any request.
 *
 * @example
 * ```ts
 * rx.copyObject({ bucket: 'photos', key: 'cat.jpg' }, { bucket: 'public', key: 'cat.jpg' }, {
 *   contentType: 'image/jpeg', metadata: { license: 'cc-by' }, tags: { public: 'yes' },
 *   params: { CacheControl: 'max-age=86400', ServerSideEncryption: 'AES256' },
 * }).subscribe((r) => console.log(r.ok ? r.val.kind : r.val.kind));
 * ```
 */
export interface CopyObjectOptions extends CallOptions {
  /** Replace the user metadata on the copy (otherwise it is copied from the source). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Replace the Content-Type on the copy (otherwise it is copied from the source). */
  readonly contentType?: string;
  /** Replace the tags on the copy (otherwise they are copied from the source). */
  readonly tags?: ObjectTags;
  /** Only copy if the source's ETag is this one (else `PreconditionFailed`). */
  readonly ifMatch?: string;
  /** The target's SSE-C customer key: the copy is encrypted with it. */
  readonly sseCustomerKey?: SseCustomerKey;
  /** The source's SSE-C customer key, when the source is encrypted with one. */
  readonly sourceSseCustomerKey?: SseCustomerKey;
  /**
   * The SDK's own CopyObject fields, passed through (StorageClass, ServerSideEncryption, SSEKMSKeyId, ACL...);
   * the typed options above win. A multipart copy sends them with CreateMultipartUpload.
   */
  readonly params?: CopyParams;
  /** Sources larger than this are copied in parts (UploadPartCopy). Default and maximum 5 GiB (CopyObject's limit). */
  readonly multipartThreshold?: number;
  /** Bytes per part of a multipart copy, at least 5 MiB; grown to stay within 10,000 parts. Default 64 MiB. */
  readonly partSize?: number;
  /** Parts of a multipart copy in flight at once, 1 to 64. Default 8. */
  readonly concurrency?: number;
  /** At most one progress tick per this many milliseconds (default 100); 0 for a tick per finished part. */
  readonly progressInterval?: number;
}

/** The checks of a copy's source, target and options; shared with `moveObject`. */
export function checkCopyInput(source: ObjectRef, target: ObjectRef, options: CopyObjectOptions, context: ErrorContext): S3Error | undefined {
  return firstProblem(
    checkObjectRef(source, 'source', context),
    checkObjectRef(target, 'target', context),
    checkMetadata(options.metadata, context),
    checkTags(options.tags, context),
    checkSseCustomerKey(options.sseCustomerKey, context),
    checkSseCustomerKey(options.sourceSseCustomerKey, context, 'sourceSseCustomerKey'),
    options.multipartThreshold === undefined ? undefined : checkCount(options.multipartThreshold, 'multipartThreshold', context, 0, MAX_PART_SIZE),
    options.partSize === undefined ? undefined : checkCount(options.partSize, 'partSize', context, MIN_PART_SIZE, MAX_PART_SIZE),
    options.concurrency === undefined ? undefined : checkCount(options.concurrency, 'concurrency', context, 1, 64),
    options.progressInterval === undefined ? undefined : checkCount(options.progressInterval, 'progressInterval', context, 0),
    checkTimeouts(options.timeouts, context),
  );
}

/**
 * Copies an object server-side; the data does not pass through this process. Emits `Ok` progress ticks
 * (`totalBytes` is the source's size), then one `Ok({ kind: 'complete', output })` ({@link ObjectCopied}), then
 * completes; or one `Err` (`NoSuchKey` naming the source when it is missing, `PreconditionFailed` when it changed
 * during the copy, `NoSuchBucket`...), then completes.
 *
 * HeadObject on the source first, then every request is pinned to its ETag. Up to `multipartThreshold` (5 GiB)
 * one CopyObject; above it a multipart copy with `concurrency` UploadPartCopy ranges in flight, which keeps the
 * source's Content-Type, metadata, other stored headers and tags (or replaces them as asked). Unsubscribing or a
 * failure aborts the multipart upload: no half object, no stranded parts (`rx.flushCleanups()` waits for it).
 */
export function copyObject(ctx: ClientContext, source: ObjectRef, target: ObjectRef, options: CopyObjectOptions = {}): Observable<Result<CopyEvent, S3Error>> {
  const context = { operation: 'copyObject', bucket: target?.bucket, key: target?.key };
  return unlessInvalid(checkCopyInput(source, target, options, context), () => copyTransfer(ctx, source, target, options));
}

/** The copy itself, on checked input; `moveObject` hands it the source's HeadObject answer it already has. */
export function copyTransfer(
  ctx: ClientContext,
  source: ObjectRef,
  target: ObjectRef,
  options: CopyObjectOptions,
  sourceHead?: HeadObjectCommandOutput,
): Observable<Result<CopyEvent, S3Error>> {
  const context = { operation: 'copyObject', bucket: target.bucket, key: target.key, source: { bucket: source.bucket, key: source.key } };
  const plan = {
    source,
    target,
    metadata: options.metadata,
    contentType: options.contentType,
    tags: options.tags,
    params: options.params ?? {},
    sseCustomerKey: options.sseCustomerKey,
    sourceSseCustomerKey: options.sourceSseCustomerKey,
    ifMatch: options.ifMatch,
    multipartThreshold: options.multipartThreshold ?? DEFAULT_COPY_THRESHOLD,
    partSize: options.partSize ?? DEFAULT_COPY_PART_SIZE,
    concurrency: options.concurrency ?? DEFAULT_COPY_CONCURRENCY,
  };
  return invalidating(ctx, target.bucket, () => [target.key],
    fromTransfer(ctx, context, progressPolicy(options.progressInterval), ({ signal, meter, hold }) => runCopy(ctx, plan, meter, signal, hold, sourceHead), { timeouts: options.timeouts }),
  );
}
