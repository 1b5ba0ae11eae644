import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BucketDeleted } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, firstProblem } from '../internal/validate';

/**
 * Deletes an empty bucket. Emits one `Ok(BucketDeleted)` or one `Err` (`BucketNotEmpty`, `NoSuchBucket`...), then
 * completes.
 */
export function deleteBucket(ctx: ClientContext, bucket: string, options: CallOptions = {}): Observable<Result<BucketDeleted, S3Error>> {
  const context = { operation: 'deleteBucket', bucket };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkTimeouts(options.timeouts, context)), () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(new DeleteBucketCommand({ Bucket: bucket }), { abortSignal });
      ctx.metadataCache?.clear();
      return { bucket, raw };
    }, undefined, options.timeouts),
  );
}
