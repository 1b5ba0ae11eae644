import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { ObjectVersionPage } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { paginate } from '../internal/paginate';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkCount, firstProblem } from '../internal/validate';

/**
 * Options of `listObjectVersions` (its last argument).
 *
 * @example
 * ```ts
 * rx.listObjectVersions('photos', { prefix: 'cat.jpg', pageSize: 100 }).pipe(take(1)).subscribe(console.log); // one request
 * ```
 */
export interface ListObjectVersionsOptions extends CallOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /** Group keys by this (usually `/`) into `commonPrefixes`. */
  readonly delimiter?: string;
  /** Versions and delete markers per page (per request): 1 to 1,000. Default 1,000. */
  readonly pageSize?: number;
}

/**
 * Lists object versions and delete markers (ListObjectVersions), **one `Ok(ObjectVersionPage)` per page**, then
 * completes; or an `Err` at the page that failed, then completes. Lazy and cancellable like `listObjects`: the
 * next page is requested only after this one was delivered; a repeated continuation marker ends with an `Err`.
 * Within a key, versions come newest first.
 */
export function listObjectVersions(ctx: ClientContext, bucket: string, options: ListObjectVersionsOptions = {}): Observable<Result<ObjectVersionPage, S3Error>> {
  const context = { operation: 'listObjectVersions', bucket };
  const { prefix, delimiter } = options;
  const problem = firstProblem(
    checkBucket(bucket, context),
    options.pageSize === undefined ? undefined : checkCount(options.pageSize, 'pageSize', context, 1, 1000),
    checkTimeouts(options.timeouts, context),
  );
  return unlessInvalid(problem, () =>
    paginate(
      context,
      async (token, abortSignal) => {
        // The continuation is two markers (key, version id): carried as one JSON token through the paging loop.
        const [KeyMarker, VersionIdMarker] = token === undefined ? [undefined, undefined] : (JSON.parse(token) as [string, string | undefined]);
        const raw = await ctx.client.send(
          new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, MaxKeys: options.pageSize, KeyMarker, VersionIdMarker }),
          { abortSignal },
        );
        if (raw.IsTruncated !== true) return { raw, next: undefined };
        if (!raw.NextKeyMarker) throw s3Error('ServiceError', context, 'the server said the listing is truncated but sent no NextKeyMarker');
        return { raw, next: JSON.stringify([raw.NextKeyMarker, raw.NextVersionIdMarker]) };
      },
      (raw, pageNumber, isLast) => ({
        bucket,
        prefix,
        pageNumber,
        isLast,
        versions: (raw.Versions ?? []).map((v) => ({
          key: v.Key ?? '',
          versionId: v.VersionId ?? 'null',
          isLatest: v.IsLatest === true,
          size: v.Size ?? 0,
          etag: v.ETag,
          lastModified: v.LastModified,
        })),
        deleteMarkers: (raw.DeleteMarkers ?? []).map((m) => ({
          key: m.Key ?? '',
          versionId: m.VersionId ?? 'null',
          isLatest: m.IsLatest === true,
          lastModified: m.LastModified,
        })),
        commonPrefixes: (raw.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix])),
        raw,
      }),
      options.timeouts,
    ),
  );
}
