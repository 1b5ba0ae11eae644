import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { defer, type Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { ObjectPage, ObjectSummary } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { compareKeys, decodePosition, encodePosition, type ListingPosition } from '../internal/key-order';
import { useFastListParser } from '../internal/list-xml';
import { paginate } from '../internal/paginate';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkCount, checkText, firstProblem } from '../internal/validate';

/**
 * Options of `listObjects` (its last argument).
 *
 * @example
 * ```ts
 * rx.listObjects('photos', { prefix: '2026/', delimiter: '/', pageSize: 100, startAfter: '2026/03' })
 *   .pipe(take(1)).subscribe((r) => r.ok && console.log(r.val.commonPrefixes)); // one request, the first page
 * rx.listObjects('photos', { startAfter: '2026/03', endBefore: '2026/04' }); // the keys of one key range
 * rx.listObjects('photos', { resume: savedPage.resumeToken }); // continues right after a page seen earlier
 * ```
 */
export interface ListObjectsOptions extends CallOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Group keys by this (usually `/`) into `commonPrefixes`, like folders. */
  readonly delimiter?: string;
  /** Keys per page (per request): 1 to 1,000. Default 1,000 (the server may send fewer). */
  readonly pageSize?: number;
  /** Start listing after this key (exclusive, in UTF-8 binary order). */
  readonly startAfter?: string;
  /**
   * Stop before this key (exclusive, in UTF-8 binary order): keys and common prefixes from it on are left out, and
   * no page is requested after the first one that reached it. S3 has no such parameter: the last request may
   * return up to a page of keys beyond it, which are dropped.
   */
  readonly endBefore?: string;
  /**
   * Continue right after a page seen earlier: its `resumeToken` (taken instead of `startAfter`). Use the same
   * bucket, `prefix`, `delimiter` and `endBefore` as the listing the token came from.
   */
  readonly resume?: string;
}

/**
 * Lists objects (ListObjectsV2), **one `Ok(ObjectPage)` per page**, then completes; or an `Err` at the page that
 * failed, then completes.
 *
 * Lazy: the first request is sent on subscribe, each next one only after the previous page was delivered, so
 * `take(1)` sends exactly one request and memory stays at one page whatever the bucket's size. Unsubscribing
 * aborts the request in flight. A server that repeats a continuation token ends the stream with an `Err`. Every
 * page carries a `resumeToken`: a new listing with `{ resume: token }` continues exactly after that page.
 */
export function listObjects(ctx: ClientContext, bucket: string, options: ListObjectsOptions = {}): Observable<Result<ObjectPage, S3Error>> {
  const context = { operation: 'listObjects', bucket };
  const { prefix, delimiter, endBefore } = options;
  const resumed = options.resume === undefined ? undefined : decodePosition(options.resume);
  const problem = firstProblem(
    checkBucket(bucket, context),
    options.pageSize === undefined ? undefined : checkCount(options.pageSize, 'pageSize', context, 1, 1000),
    checkText(prefix, 'prefix', context),
    checkText(delimiter, 'delimiter', context),
    checkText(options.startAfter, 'startAfter', context),
    checkText(endBefore, 'endBefore', context),
    checkTimeouts(options.timeouts, context),
    options.resume !== undefined && resumed === undefined
      ? s3Error('InvalidInput', context, `resume must be a page's resumeToken; got ${JSON.stringify(options.resume)}`)
      : undefined,
  );
  const start: ListingPosition = resumed ?? { after: options.startAfter, prefix: false };
  // Before this: the bound, or (for a listing resumed after a common prefix) that prefix, which the server repeats.
  const delivered = (name: string, isPrefix: boolean): boolean =>
    (endBefore === undefined || compareKeys(name, endBefore) < 0) && !(isPrefix && start.prefix && name === start.after);
  return unlessInvalid(problem, () =>
    defer(() => {
      let position = start; // per subscription: where the pages delivered so far end
      return paginate(
        context,
        async (token, abortSignal) => {
          const raw = await ctx.client.send(
            useFastListParser(new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              Delimiter: delimiter,
              MaxKeys: options.pageSize,
              StartAfter: token === undefined ? start.after : undefined,
              ContinuationToken: token,
            })),
            { abortSignal },
          );
          if (raw.IsTruncated === true && !raw.NextContinuationToken) {
            throw s3Error('ServiceError', context, 'the server said the listing is truncated but sent no continuation token');
          }
          const lastKey = raw.Contents?.at(-1)?.Key;
          const lastPrefix = raw.CommonPrefixes?.at(-1)?.Prefix;
          const reachedEnd = endBefore !== undefined && [lastKey, lastPrefix].some((name) => name !== undefined && compareKeys(name, endBefore) >= 0);
          return { raw, next: raw.IsTruncated === true && !reachedEnd ? raw.NextContinuationToken : undefined };
        },
        (raw, pageNumber, isLast) => {
          const objects = (raw.Contents ?? []).flatMap((o): ObjectSummary[] =>
            o.Key === undefined || !delivered(o.Key, false)
              ? []
              : [{ key: o.Key, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified, storageClass: o.StorageClass }],
          );
          const commonPrefixes = (raw.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined || !delivered(p.Prefix, true) ? [] : [p.Prefix]));
          const lastKey = objects.at(-1)?.key;
          const lastPrefix = commonPrefixes.at(-1);
          if (lastPrefix !== undefined && (lastKey === undefined || compareKeys(lastPrefix, lastKey) > 0)) position = { after: lastPrefix, prefix: true };
          else if (lastKey !== undefined) position = { after: lastKey, prefix: false };
          return { bucket, prefix, pageNumber, isLast, objects, commonPrefixes, resumeToken: encodePosition(position), raw };
        },
        options.timeouts,
      );
    }),
  );
}
