import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ObjectTagging } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { fromTagSet } from '../internal/tags';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkKey, firstProblem } from '../internal/validate';

/**
 * Options of `getObjectTagging` and `putObjectTagging` (their last argument).
 *
 * @example
 * ```ts
 * rx.getObjectTagging('docs', 'plan.txt', { versionId: 'v1' }).subscribe((r) => r.ok && console.log(r.val.tags));
 * ```
 */
export interface ObjectTaggingOptions extends CallOptions {
  /** The version whose tags are read or set (in a versioned bucket); default the latest. */
  readonly versionId?: string;
}

/**
 * Reads an object's tags (GetObjectTagging). Emits one `Ok(ObjectTagging)` (`tags` is `{}` for an untagged
 * object) or one `Err` (`NoSuchKey`...), then completes.
 */
export function getObjectTagging(ctx: ClientContext, bucket: string, key: string, options: ObjectTaggingOptions = {}): Observable<Result<ObjectTagging, S3Error>> {
  const context = { operation: 'getObjectTagging', bucket, key };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkKey(key, context), checkTimeouts(options.timeouts, context)), () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }), { abortSignal });
      return { bucket, key, versionId: raw.VersionId ?? options.versionId, tags: fromTagSet(raw.TagSet), raw };
    }, undefined, options.timeouts),
  );
}
