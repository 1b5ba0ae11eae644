import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BucketMetadata } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, firstProblem } from '../internal/validate';

/**
 * Reads a bucket's metadata (HeadBucket): proves it exists and is reachable with these credentials. Emits one
 * `Ok(BucketMetadata)` or one `Err` (`NoSuchBucket`, `AccessDenied`...), then completes.
 */
export function getBucketMetadata(ctx: ClientContext, bucket: string, options: CallOptions = {}): Observable<Result<BucketMetadata, S3Error>> {
  const context = { operation: 'getBucketMetadata', bucket };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkTimeouts(options.timeouts, context)), () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal });
      return { bucket, region: raw.BucketRegion, raw };
    }, undefined, options.timeouts),
  );
}
