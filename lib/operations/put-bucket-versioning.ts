import { PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { BucketVersioning } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, firstProblem } from '../internal/validate';

/**
 * Turns a bucket's versioning on (`'Enabled'`: every write keeps the previous version, a delete adds a delete
 * marker) or off (`'Suspended'`: versions already kept stay). Emits one `Ok(BucketVersioning)` with the state set,
 * or one `Err` (`InvalidInput` for another status, before any request), then completes.
 */
export function putBucketVersioning(ctx: ClientContext, bucket: string, status: 'Enabled' | 'Suspended', options: CallOptions = {}): Observable<Result<BucketVersioning, S3Error>> {
  const context = { operation: 'putBucketVersioning', bucket };
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkTimeouts(options.timeouts, context),
    status === 'Enabled' || status === 'Suspended' ? undefined : s3Error('InvalidInput', context, `status must be 'Enabled' or 'Suspended', got ${JSON.stringify(status)}`),
  );
  return unlessInvalid(problem, () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }), { abortSignal });
      return { bucket, status, raw };
    }, undefined, options.timeouts),
  );
}
