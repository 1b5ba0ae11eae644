import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ObjectDeleted } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkBucket, checkKey, firstProblem } from '../internal/validate';

/**
 * Deletes one object. Emits one `Ok(ObjectDeleted)` or one `Err`, then completes. Like S3 itself, deleting a key
 * that does not exist succeeds.
 */
export function deleteObject(ctx: ClientContext, bucket: string, key: string): Observable<Result<ObjectDeleted, S3Error>> {
  const context = { operation: 'deleteObject', bucket, key };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkKey(key, context)), () =>
    invalidating(ctx, bucket, () => [key],
      fromRequest(context, async (abortSignal) => {
        const raw = await ctx.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
        return { bucket, key, raw };
      }),
    ),
  );
}
