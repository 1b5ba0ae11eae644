import { concat, concatMap, map, of, type Observable } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { resultMergeMap } from 'ts-results/rxjs-operators';
import { s3Error, type S3Error } from '../errors';
import type { MoveEvent, ObjectCopied, ObjectMetadata, VerifiedCopy } from '../events';
import type { ClientContext } from '../internal/context';
import type { ObjectRef } from '../internal/copy-source';
import { unlessInvalid } from '../internal/from-command';
import { withTimeouts } from '../internal/deadline';
import { firstProblem } from '../internal/validate';
import { checkCopyInput, copyTransfer, type CopyObjectOptions } from './copy-object';
import { deleteObject } from './delete-object';
import { getObjectMetadata } from './get-object-metadata';

/**
 * Options of `moveObject` (its last argument): those of {@link CopyObjectOptions} but `ifMatch` (a move always
 * pins the copy to the source it read).
 *
 * @example
 * ```ts
 * rx.moveObject({ bucket: 'inbox', key: 'scan.pdf' }, { bucket: 'archive', key: '2026/scan.pdf' }, {
 *   contentType: 'application/pdf', metadata: { filed: 'yes' }, multipartThreshold: 1024 ** 3,
 * }).subscribe((r) => console.log(r.ok ? r.val.kind : r.val.message));
 * ```
 */
export type MoveObjectOptions = Omit<CopyObjectOptions, 'ifMatch'>;

/**
 * Moves an object: a copy-then-delete pipeline that never loses data.
 *
 * 1. HeadObject on the source (its size and ETag; with `source.versionId`, that version);
 * 2. the copy, as `copyObject` makes it (one CopyObject, or a multipart copy above `multipartThreshold`), pinned
 *    to that ETag (`x-amz-copy-source-if-match`), so a concurrent overwrite fails the move;
 * 3. HeadObject on the target (the version the copy wrote): its size must equal the source's, and its ETag the
 *    one the copy answered. (A copy's ETag may differ from the source's: parts, SSE-KMS, SSE-C.)
 * 4. only then DeleteObject on the source (with `source.versionId`, that version for good; in a versioned bucket
 *    otherwise a delete marker).
 *
 * Emits the copy's progress ticks, then `Ok({ kind: 'copied' })` after step 3 and `Ok({ kind: 'deleted' })`
 * after step 4, then completes. If any of steps 1-3 fails, one `Err` is emitted and the source is untouched (a
 * target that failed verification is left for inspection; the `Err` has kind `Integrity`). If the delete fails,
 * the `copied` value is followed by an `Err` saying both objects exist. Moving an object onto itself is rejected
 * as `InvalidInput`. Unsubscribing during the copy aborts it as `copyObject` does.
 */
export function moveObject(ctx: ClientContext, source: ObjectRef, target: ObjectRef, options: MoveObjectOptions = {}): Observable<Result<MoveEvent, S3Error>> {
  const context = { operation: 'moveObject', bucket: source?.bucket, key: source?.key };
  const problem = firstProblem(
    checkCopyInput(source, target, options, context),
    source?.bucket === target?.bucket && source?.key === target?.key
      ? s3Error('InvalidInput', context, 'source and target are the same object; a move would delete it')
      : undefined,
  );
  const where = `s3://${target?.bucket}/${target?.key}`;
  const same = (a: string | undefined, b: string | undefined): boolean => a !== undefined && b !== undefined && a.replace(/"/g, '') === b.replace(/"/g, '');

  const verify = (sourceHead: ObjectMetadata, copy: ObjectCopied, copied: ObjectMetadata): Result<VerifiedCopy, S3Error> => {
    const verified = { size: copied.contentLength, sourceEtag: sourceHead.etag, targetEtag: copied.etag };
    const sizeMatches = copied.contentLength === sourceHead.contentLength;
    // The source was pinned by its ETag, so the target must be what the copy answered.
    const etagMatches = same(copied.etag, copy.etag);
    if (sizeMatches && etagMatches) return Ok(verified);
    const why = sizeMatches
      ? `ETag ${copied.etag ?? '(none)'} differs from the copy's answer ${copy.etag ?? '(none)'}`
      : `size ${copied.contentLength} differs from ${sourceHead.contentLength}`;
    return Err(s3Error('Integrity', context, `copy to ${where} did not verify (${why}); the source was not deleted`));
  };

  const copyThenVerify = (sourceHead: ObjectMetadata): Observable<Result<MoveEvent, S3Error>> =>
    copyTransfer(ctx, source, target, { ...options, timeouts: undefined, ifMatch: sourceHead.etag }, sourceHead.raw).pipe(
      concatMap((result): Observable<Result<MoveEvent, S3Error>> => {
        if (result.err || result.val.kind === 'progress') return of(result as Result<MoveEvent, S3Error>);
        const copy = result.val.output;
        const targetHead = { versionId: copy.versionId, sseCustomerKey: options.sseCustomerKey };
        return getObjectMetadata(ctx, target.bucket, target.key, targetHead).pipe(
          map((head) => head.andThen((copied) => verify(sourceHead, copy, copied))),
          concatMap((verified): Observable<Result<MoveEvent, S3Error>> =>
            verified.err
              ? of(verified)
              : concat(
                  of(Ok<MoveEvent>({ kind: 'copied', copy, verified: verified.val })),
                  deleteObject(ctx, source.bucket, source.key, { versionId: source.versionId }).pipe(
                    map((deleted): Result<MoveEvent, S3Error> =>
                      deleted.ok
                        ? Ok({ kind: 'deleted', copy, delete: deleted.val })
                        : Err({ ...deleted.val, message: `copied to ${where}, but deleting the source failed (${deleted.val.message}); both objects exist` }),
                    ),
                  ),
                ),
          ),
        );
      }),
    );

  // The deadline bounds the whole move (HEAD, copy, verification, delete); each request gets the connect/idle timeouts.
  return unlessInvalid(problem, () => withTimeouts(options.timeouts, context,
    getObjectMetadata(ctx, source.bucket, source.key, { versionId: source.versionId, sseCustomerKey: options.sourceSseCustomerKey }).pipe(
      resultMergeMap((sourceHead: ObjectMetadata) => copyThenVerify(sourceHead)),
    )),
  );
}
