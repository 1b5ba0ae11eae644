import { PutObjectTaggingCommand, type Tag } from '@aws-sdk/client-s3';
import { s3Error, toS3Error, type ErrorContext, type S3Error } from '../errors';
import type { ClientContext } from './context';

/**
 * Object tags: up to 10 `key: value` pairs (keys 1 to 128 characters, values up to 256). Given on put, upload
 * and copy (`tags` option) and by `putObjectTagging`; read back by `getObjectTagging`.
 *
 * @example
 * ```ts
 * const tags: ObjectTags = { project: 'apollo', retention: '90d' };
 * rx.putObject('docs', 'plan.txt', 'go', { tags });
 * ```
 */
export type ObjectTags = Readonly<Record<string, string>>;

const MAX_TAGS = 10;

/** S3's tag limits, checked locally. */
export function checkTags(tags: ObjectTags | undefined, context: ErrorContext): S3Error | undefined {
  if (tags === undefined) return undefined;
  if (typeof tags !== 'object' || tags === null) return s3Error('InvalidInput', context, 'tags must be an object of string values');
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) return s3Error('InvalidInput', context, `an object takes at most ${MAX_TAGS} tags, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128) return s3Error('InvalidInput', context, `tag key ${JSON.stringify(key)} must be 1 to 128 characters`);
    if (typeof value !== 'string' || value.length > 256) return s3Error('InvalidInput', context, `tag value of ${JSON.stringify(key)} must be a string of at most 256 characters`);
  }
  return undefined;
}

/** The `x-amz-tagging` header value (URL query form), or undefined without tags. */
export function taggingHeader(tags: ObjectTags | undefined): string | undefined {
  return tags === undefined ? undefined : new URLSearchParams(Object.entries(tags)).toString();
}

/** A TagSet as the SDK sends and answers it. */
export function toTagSet(tags: ObjectTags): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromTagSet(set: readonly Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((set ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
}

/**
 * Sets the tags of an object a multipart write just completed. Ceph RGW 16 ignores `x-amz-tagging` on
 * CreateMultipartUpload, so multipart uploads and copies set them with PutObjectTagging afterwards (AWS S3 takes
 * them either way). A failure says the object was stored without its tags.
 */
export async function tagCompleted(
  ctx: ClientContext,
  target: { readonly bucket: string; readonly key: string; readonly versionId: string | undefined },
  tagging: string | undefined,
  context: ErrorContext,
  signal: AbortSignal,
): Promise<void> {
  if (tagging === undefined || tagging === '') return;
  const TagSet = [...new URLSearchParams(tagging)].map(([Key, Value]) => ({ Key, Value }));
  try {
    await ctx.client.send(
      new PutObjectTaggingCommand({ Bucket: target.bucket, Key: target.key, VersionId: target.versionId, Tagging: { TagSet } }),
      { abortSignal: signal },
    );
  } catch (cause) {
    const error = toS3Error(cause, context);
    throw { ...error, message: `s3://${target.bucket}/${target.key} was stored, but setting its tags failed: ${error.message}` };
  }
}
