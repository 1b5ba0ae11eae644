import { defer, of, tap, type Observable } from 'rxjs';
import { Ok, type Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ObjectMetadata } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { headObject } from '../internal/head-object';
import { toObjectInfo } from '../internal/object-info';
import { checkSseCustomerKey, sseCustomerFields, type SseCustomerKey } from '../internal/sse';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkKey, firstProblem } from '../internal/validate';

/**
 * Options of `getObjectMetadata` (its last argument).
 *
 * @example
 * ```ts
 * const rx = new RxS3({ metadataCache: true });
 * rx.getObjectMetadata('photos', 'cat.jpg', { cache: true }).subscribe((r) => r.ok && console.log(r.val.fromCache));
 * ```
 */
export interface GetObjectMetadataOptions extends CallOptions {
  /**
   * Answer from the client's metadata cache when it holds a fresh entry, and store the answer there. Needs the
   * cache enabled on the client (`new RxS3({ metadataCache: { ... } })`); ignored otherwise. Default false.
   */
  readonly cache?: boolean;
  /** Read this version (in a versioned bucket) instead of the latest; never answered from the cache. */
  readonly versionId?: string;
  /** The object's SSE-C customer key, when it is encrypted with one. */
  readonly sseCustomerKey?: SseCustomerKey;
}

/**
 * Reads an object's metadata (HeadObject) without its body. Emits one `Ok(ObjectMetadata)` or one `Err`
 * (`NoSuchKey` for a missing key, `NoSuchBucket` for a missing bucket: a HEAD answer has no body, so on a 404 one
 * HeadBucket tells the two apart), then completes.
 *
 * With `{ cache: true }` a fresh cached entry is emitted with `fromCache: true` and no request is sent. Writes
 * made through the same client (put, copy, delete, move, upload) invalidate their keys; writes by others are seen
 * once the entry's TTL ran out.
 */
export function getObjectMetadata(
  ctx: ClientContext,
  bucket: string,
  key: string,
  options: GetObjectMetadataOptions = {},
): Observable<Result<ObjectMetadata, S3Error>> {
  const context = { operation: 'getObjectMetadata', bucket, key };
  const cache = options.cache === true && options.versionId === undefined ? ctx.metadataCache : undefined;
  const head = (): Observable<Result<ObjectMetadata, S3Error>> =>
    fromRequest(context, async (abortSignal) => {
      const raw = await headObject(ctx, context, { Bucket: bucket, Key: key, VersionId: options.versionId, ...sseCustomerFields(options.sseCustomerKey) }, abortSignal);
      return { ...toObjectInfo(bucket, key, raw), fromCache: false, raw };
    }, undefined, options.timeouts);
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkKey(key, context), checkSseCustomerKey(options.sseCustomerKey, context), checkTimeouts(options.timeouts, context)), () => {
    if (cache === undefined) return head();
    return defer(() => {
      const hit = cache.get(bucket, key);
      if (hit !== undefined) return of(Ok({ ...hit, fromCache: true }));
      const stamp = cache.stamp();
      return head().pipe(tap((result) => result.ok && cache.set(bucket, key, result.val, stamp)));
    });
  });
}
