import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { ObjectPage } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { paginate } from '../internal/paginate';
import { checkBucket, checkCount, checkText, firstProblem } from '../internal/validate';

/**
 * Options of `listObjects` (its last argument).
 *
 * @example
 * ```ts
 * rx.listObjects('photos', { prefix: '2026/', delimiter: '/', pageSize: 100, startAfter: '2026/03' })
 *   .pipe(take(1)).subscribe((r) => r.ok && console.log(r.val.commonPrefixes)); // one request, the first page
 * ```
 */
export interface ListObjectsOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Group keys by this (usually `/`) into `commonPrefixes`, like folders. */
  readonly delimiter?: string;
  /** Keys per page (per request): 1 to 1,000. Default 1,000 (the server may send fewer). */
  readonly pageSize?: number;
  /** Start listing after this key (in UTF-8 binary order). */
  readonly startAfter?: string;
}

/**
 * Lists objects (ListObjectsV2), **one `Ok(ObjectPage)` per page**, then completes; or an `Err` at the page that
 * failed, then completes.
 *
 * Lazy: the first request is sent on subscribe, each next one only after the previous page was delivered, so
 * `take(1)` sends exactly one request and memory stays at one page whatever the bucket's size. Unsubscribing
 * aborts the request in flight. A server that repeats a continuation token ends the stream with an `Err`.
 */
export function listObjects(ctx: ClientContext, bucket: string, options: ListObjectsOptions = {}): Observable<Result<ObjectPage, S3Error>> {
  const context = { operation: 'listObjects', bucket };
  const { prefix, delimiter, startAfter } = options;
  const problem = firstProblem(
    checkBucket(bucket, context),
    options.pageSize === undefined ? undefined : checkCount(options.pageSize, 'pageSize', context, 1, 1000),
    checkText(prefix, 'prefix', context),
    checkText(delimiter, 'delimiter', context),
    checkText(startAfter, 'startAfter', context),
  );
  return unlessInvalid(problem, () =>
    paginate(
      context,
      async (token, abortSignal) => {
        const raw = await ctx.client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            Delimiter: delimiter,
            MaxKeys: options.pageSize,
            StartAfter: token === undefined ? startAfter : undefined,
            ContinuationToken: token,
          }),
          { abortSignal },
        );
        if (raw.IsTruncated === true && !raw.NextContinuationToken) {
          throw s3Error('ServiceError', context, 'the server said the listing is truncated but sent no continuation token');
        }
        return { raw, next: raw.IsTruncated === true ? raw.NextContinuationToken : undefined };
      },
      (raw, pageNumber, isLast) => ({
        bucket,
        prefix,
        pageNumber,
        isLast,
        objects: (raw.Contents ?? []).map((o) => ({
          key: o.Key ?? '',
          size: o.Size ?? 0,
          etag: o.ETag,
          lastModified: o.LastModified,
          storageClass: o.StorageClass,
        })),
        commonPrefixes: (raw.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix])),
        raw,
      }),
    ),
  );
}
