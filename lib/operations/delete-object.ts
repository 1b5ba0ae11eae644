import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ObjectDeleted } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkKey, firstProblem } from '../internal/validate';

/**
 * Options of `deleteObject` (its last argument).
 *
 * @example
 * ```ts
 * rx.deleteObject('photos', 'cat.jpg', { versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' }) // that version, for good
 *   .subscribe((r) => r.ok && console.log('deleted version', r.val.versionId));
 * ```
 */
export interface DeleteObjectOptions extends CallOptions {
  /** Delete this version for good (in a versioned bucket); without it a versioned bucket gets a delete marker. */
  readonly versionId?: string;
}

/**
 * Deletes one object (or one version of it). Emits one `Ok(ObjectDeleted)` or one `Err`, then completes. Like S3
 * itself, deleting a key that does not exist succeeds.
 */
export function deleteObject(ctx: ClientContext, bucket: string, key: string, options: DeleteObjectOptions = {}): Observable<Result<ObjectDeleted, S3Error>> {
  const context = { operation: 'deleteObject', bucket, key };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkKey(key, context), checkTimeouts(options.timeouts, context)), () =>
    invalidating(ctx, bucket, () => [key],
      fromRequest(context, async (abortSignal) => {
        const raw = await ctx.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }), { abortSignal });
        return { bucket, key, versionId: raw.VersionId ?? options.versionId, deleteMarker: raw.DeleteMarker === true, raw };
      }, undefined, options.timeouts),
    ),
  );
}
