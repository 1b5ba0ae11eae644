import { PutObjectTaggingCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { ObjectTagging } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTags, toTagSet, type ObjectTags } from '../internal/tags';
import { checkTimeouts } from '../internal/timeouts';
import { checkBucket, checkKey, firstProblem } from '../internal/validate';
import type { ObjectTaggingOptions } from './get-object-tagging';

/**
 * Replaces an object's tags (PutObjectTagging; `{}` removes them all). Emits one `Ok(ObjectTagging)` with the
 * tags set, or one `Err` (`InvalidInput` for more than 10 tags or over-long keys and values, before any request;
 * `NoSuchKey`...), then completes.
 */
export function putObjectTagging(
  ctx: ClientContext,
  bucket: string,
  key: string,
  tags: ObjectTags,
  options: ObjectTaggingOptions = {},
): Observable<Result<ObjectTagging, S3Error>> {
  const context = { operation: 'putObjectTagging', bucket, key };
  return unlessInvalid(firstProblem(checkBucket(bucket, context), checkKey(key, context), checkTags(tags ?? (null as unknown as ObjectTags), context), checkTimeouts(options.timeouts, context)), () =>
    fromRequest(context, async (abortSignal) => {
      const raw = await ctx.client.send(
        new PutObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: options.versionId, Tagging: { TagSet: toTagSet(tags) } }),
        { abortSignal },
      );
      return { bucket, key, versionId: raw.VersionId ?? options.versionId, tags: { ...tags }, raw };
    }, undefined, options.timeouts),
  );
}
