import { CopyObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ObjectCopied } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { copySource } from '../internal/copy-source';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkCopy } from '../internal/validate';

/**
 * Options of `copyObject` (its last argument).
 *
 * @example
 * ```ts
 * rx.copyObject('photos', 'cat.jpg', 'public', 'cat.jpg', {
 *   contentType: 'image/jpeg', metadata: { license: 'cc-by' }, ifMatch: '"3858f62230ac3c915f300c664312c63f"',
 * }).subscribe((r) => console.log(r.ok ? r.val.etag : r.val.kind));
 * ```
 */
export interface CopyObjectOptions {
  /** Replace the user metadata on the copy (otherwise it is copied from the source). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Replace the Content-Type on the copy (otherwise it is copied from the source). */
  readonly contentType?: string;
  /** Only copy if the source's ETag is this one (else `PreconditionFailed`). */
  readonly ifMatch?: string;
}

/**
 * Copies an object server-side (CopyObject, objects up to 5 GiB); the data does not pass through this process.
 * Emits one `Ok(ObjectCopied)` or one `Err` (`NoSuchKey` when the source is missing, `NoSuchBucket`...), then
 * completes.
 */
export function copyObject(
  ctx: ClientContext,
  sourceBucket: string,
  sourceKey: string,
  targetBucket: string,
  targetKey: string,
  options: CopyObjectOptions = {},
): Observable<Result<ObjectCopied, S3Error>> {
  const context = { operation: 'copyObject', bucket: targetBucket, key: targetKey, source: { bucket: sourceBucket, key: sourceKey } };
  const replace = options.metadata !== undefined || options.contentType !== undefined;
  const problem = checkCopy({ bucket: sourceBucket, key: sourceKey }, { bucket: targetBucket, key: targetKey }, options.metadata, context);
  return unlessInvalid(problem, () =>
    invalidating(ctx, targetBucket, () => [targetKey],
      fromRequest(context, async (abortSignal) => {
        const raw = await ctx.client.send(
          new CopyObjectCommand({
            CopySource: copySource(sourceBucket, sourceKey),
            Bucket: targetBucket,
            Key: targetKey,
            CopySourceIfMatch: options.ifMatch,
            MetadataDirective: replace ? 'REPLACE' : 'COPY',
            Metadata: options.metadata,
            ContentType: options.contentType,
          }),
          { abortSignal },
        );
        return { sourceBucket, sourceKey, bucket: targetBucket, key: targetKey, etag: raw.CopyObjectResult?.ETag, raw };
      }),
    ),
  );
}
