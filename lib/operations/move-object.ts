import { concat, map, of, type Observable } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { resultMergeMap } from 'ts-results/rxjs-operators';
import { s3Error, type S3Error } from '../errors';
import type { MoveEvent, ObjectCopied, ObjectMetadata, VerifiedCopy } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { checkCopy, firstProblem } from '../internal/validate';
import { copyObject, type CopyObjectOptions } from './copy-object';
import { deleteObject } from './delete-object';
import { getObjectMetadata } from './get-object-metadata';

/**
 * Options of `moveObject` (its last argument): what to replace on the copy, as in {@link CopyObjectOptions}.
 *
 * @example
 * ```ts
 * rx.moveObject('inbox', 'scan.pdf', 'archive', '2026/scan.pdf', { contentType: 'application/pdf', metadata: { filed: 'yes' } })
 *   .subscribe((r) => console.log(r.ok ? r.val.stage : r.val.message));
 * ```
 */
export type MoveObjectOptions = Pick<CopyObjectOptions, 'metadata' | 'contentType'>;

/**
 * Moves an object: a copy-then-delete pipeline that never loses data.
 *
 * 1. HeadObject on the source (its size and ETag);
 * 2. CopyObject, pinned to that ETag (`CopySourceIfMatch`), so a concurrent overwrite fails the move;
 * 3. HeadObject on the target: its size must equal the source's, and its ETag the source's (or, for a source
 *    uploaded in parts, whose ETag a copy never keeps, the ETag the copy answered);
 * 4. only then DeleteObject on the source.
 *
 * Emits `Ok({ stage: 'copied' })` after step 3 and `Ok({ stage: 'deleted' })` after step 4, then completes. If
 * any of steps 1-3 fails, one `Err` is emitted and the source is untouched (a target that failed verification is
 * left for inspection; the `Err` has kind `Integrity`). If the delete fails, the `copied` value is followed by an
 * `Err` saying both objects exist. Moving an object onto itself is rejected as `InvalidInput`.
 */
export function moveObject(
  ctx: ClientContext,
  sourceBucket: string,
  sourceKey: string,
  targetBucket: string,
  targetKey: string,
  options: MoveObjectOptions = {},
): Observable<Result<MoveEvent, S3Error>> {
  const context = { operation: 'moveObject', bucket: sourceBucket, key: sourceKey };
  const problem = firstProblem(
    checkCopy({ bucket: sourceBucket, key: sourceKey }, { bucket: targetBucket, key: targetKey }, options.metadata, context),
    sourceBucket === targetBucket && sourceKey === targetKey
      ? s3Error('InvalidInput', context, 'source and target are the same object; a move would delete it')
      : undefined,
  );
  const target = `s3://${targetBucket}/${targetKey}`;

  const verify = (source: ObjectMetadata, copy: ObjectCopied, copied: ObjectMetadata): Result<VerifiedCopy, S3Error> => {
    const verified = { size: copied.contentLength, sourceEtag: source.etag, targetEtag: copied.etag };
    const sizeMatches = copied.contentLength === source.contentLength;
    const etagMatches =
      copied.etag !== undefined &&
      (copied.etag === source.etag || (isMultipartEtag(source.etag) && copied.etag === copy.etag));
    if (sizeMatches && etagMatches) return Ok(verified);
    const why = sizeMatches ? `ETag ${copied.etag ?? '(none)'} differs from ${source.etag ?? '(none)'}` : `size ${copied.contentLength} differs from ${source.contentLength}`;
    return Err(s3Error('Integrity', context, `copy to ${target} did not verify (${why}); the source was not deleted`));
  };

  return unlessInvalid(problem, () =>
    getObjectMetadata(ctx, sourceBucket, sourceKey).pipe(
      resultMergeMap((source: ObjectMetadata) =>
        copyObject(ctx, sourceBucket, sourceKey, targetBucket, targetKey, { ...options, ifMatch: source.etag }).pipe(
          resultMergeMap((copy: ObjectCopied) =>
            getObjectMetadata(ctx, targetBucket, targetKey).pipe(
              map((head) => head.andThen((copied) => verify(source, copy, copied)).map((verified) => ({ copy, verified }))),
            ),
          ),
        ),
      ),
      resultMergeMap(({ copy, verified }: { copy: ObjectCopied; verified: VerifiedCopy }) =>
        concat(
          of(Ok<MoveEvent>({ stage: 'copied', copy, verified })),
          deleteObject(ctx, sourceBucket, sourceKey).pipe(
            map((deleted): Result<MoveEvent, S3Error> =>
              deleted.ok
                ? Ok({ stage: 'deleted', copy, delete: deleted.val })
                : Err({ ...deleted.val, message: `copied to ${target}, but deleting the source failed (${deleted.val.message}); both objects exist` }),
            ),
          ),
        ),
      ),
    ),
  );
}

/** ETags of objects uploaded in parts end in `-<parts>`; a copy gets a new, single-part ETag. */
const isMultipartEtag = (etag: string | undefined): boolean => etag !== undefined && /-\d+"?$/.test(etag);
