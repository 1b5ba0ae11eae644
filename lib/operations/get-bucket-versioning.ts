import { GetBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BucketVersioning } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, firstProblem } from '../internal/validate';

/**
 * Reads a bucket's versioning state (GetBucketVersioning). Emits one `Ok(BucketVersioning)` (`Enabled`,
 * `Suspended`, or `Unversioned` for a bucket where it was never enabled) or one `Err`, then completes.
 */
export function getBucketVersioning(ctx: ClientContext, bucket: string, options: CallOptions = {}): Observable<Result<BucketVersioning, S3Error>> {
  const context = { operation: 'getBucketVersioning', bucket };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkTimeouts(options.timeouts, context)), () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(new GetBucketVersioningCommand({ Bucket: bucket }), { abortSignal });
      const status = raw.Status === 'Enabled' || raw.Status === 'Suspended' ? raw.Status : 'Unversioned';
      return { bucket, status, raw };
    }, undefined, options.timeouts),
  );
}
