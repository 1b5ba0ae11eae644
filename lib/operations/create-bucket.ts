import { CreateBucketCommand, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BucketCreated } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, firstProblem } from '../internal/validate';

/**
 * Options of `createBucket` (its second argument).
 *
 * @example
 * ```ts
 * rx.createBucket('photos-eu', { region: 'eu-west-1' }).subscribe((r) => console.log(r.ok ? r.val.location : r.val.kind));
 * ```
 */
export interface CreateBucketOptions extends CallOptions {
  /**
   * The region (location constraint) to create the bucket in. Omit it to use the endpoint's default; on AWS,
   * `us-east-1` needs no constraint and sends none.
   */
  readonly region?: string;
}

/** Creates a bucket. Emits one `Ok(BucketCreated)` or one `Err`, then completes. */
export function createBucket(ctx: ClientContext, bucket: string, options: CreateBucketOptions = {}): Observable<Result<BucketCreated, S3Error>> {
  const context = { operation: 'createBucket', bucket };
  const { region } = options;
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkTimeouts(options.timeouts, context)), () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(
        new CreateBucketCommand({
          Bucket: bucket,
          CreateBucketConfiguration:
            region === undefined || region === 'us-east-1' ? undefined : { LocationConstraint: region as BucketLocationConstraint },
        }),
        { abortSignal },
      );
      return { bucket, location: raw.Location, raw };
    }, undefined, options.timeouts),
  );
}
