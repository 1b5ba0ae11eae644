import { createPresignedPost, type PresignedPostOptions } from '@aws-sdk/s3-presigned-post';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { PresignedPost } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkBucket, checkCount, checkKey, checkTtl, firstProblem } from '../internal/validate';

/**
 * One raw condition of a POST policy, as @aws-sdk/s3-presigned-post takes it (the `conditions` option of
 * `generatePresignedPost`).
 *
 * @example
 * ```ts
 * const conditions: PostPolicyCondition[] = [['eq', '$acl', 'private'], ['starts-with', '$x-amz-meta-owner', '']];
 * rx.generatePresignedPost('uploads', 'doc.pdf', { conditions, fields: { acl: 'private' } });
 * ```
 */
export type PostPolicyCondition = NonNullable<PresignedPostOptions['Conditions']>[number];

/**
 * Options of `generatePresignedPost` (its last argument). Each becomes a condition of the signed policy; S3
 * refuses a POST that breaks one (403), and the whole form once `ttl` has passed.
 *
 * @example
 * ```ts
 * rx.generatePresignedPost('uploads', 'avatars/${filename}', {
 *   ttl: 600, contentLengthRange: { min: 1, max: 2 * 1024 * 1024 }, contentTypeStartsWith: 'image/',
 * }).subscribe((r) => r.ok && console.log(r.val.url, r.val.fields));
 * ```
 */
export interface PresignPostOptions {
  /** Seconds the policy stays valid: a whole number from 1 to 604,800 (7 days). Default 3,600. */
  readonly ttl?: number;
  /** The file's size must be within these bounds, in bytes (both inclusive). */
  readonly contentLengthRange?: { readonly min: number; readonly max: number };
  /** The form must send a `Content-Type` field that starts with this (e.g. `image/`); `''` allows any. */
  readonly contentTypeStartsWith?: string;
  /** Fields sent as they are and required by the policy to be exactly so (`acl`, `x-amz-meta-*`, `Content-Type`...). */
  readonly fields?: Readonly<Record<string, string>>;
  /** More policy conditions, as @aws-sdk/s3-presigned-post takes them. */
  readonly conditions?: readonly PostPolicyCondition[];
}

/**
 * Signs a POST policy for a browser form upload (@aws-sdk/s3-presigned-post): the URL and the form fields. A key
 * ending in `${filename}` lets the form choose any key that starts with what precedes it (S3 puts the file's
 * name there): the policy's key-prefix condition. No request is sent: signing is local. Emits one
 * `Ok(PresignedPost)` or one `Err` (`InvalidInput` for a bad bucket, key, TTL or size range), then completes.
 */
export function generatePresignedPost(
  ctx: ClientContext,
  bucket: string,
  key: string,
  options: PresignPostOptions = {},
): Observable<Result<PresignedPost, S3Error>> {
  const context = { operation: 'generatePresignedPost', bucket, key };
  const ttl = options.ttl ?? 3600;
  const range = options.contentLengthRange;
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkKey(key, context),
    checkTtl(ttl, context),
    range === undefined ? undefined : checkCount(range.min, 'contentLengthRange.min', context, 0),
    range === undefined ? undefined : checkCount(range.max, 'contentLengthRange.max', context, 0),
    range !== undefined && range.max < range.min ? s3Error('InvalidInput', context, 'contentLengthRange.max must not be below min') : undefined,
  );
  return unlessInvalid(problem, () =>
    fromRequest(context, async () => {
      const conditions: PostPolicyCondition[] = [...(options.conditions ?? [])];
      if (range !== undefined) conditions.push(['content-length-range', range.min, range.max]);
      if (options.contentTypeStartsWith !== undefined) conditions.push(['starts-with', '$Content-Type', options.contentTypeStartsWith]);
      const signedAt = Date.now();
      const post = await createPresignedPost(ctx.client, { Bucket: bucket, Key: key, Conditions: conditions, Fields: { ...options.fields }, Expires: ttl });
      return { url: post.url, fields: post.fields, bucket, key, expiresIn: ttl, expiresAt: new Date(signedAt + ttl * 1000) };
    }),
  );
}
