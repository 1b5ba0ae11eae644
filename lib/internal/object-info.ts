import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { ObjectInfo } from '../events';

/** The fields HeadObject and GetObject share, lifted out of the SDK's output. */
export function toObjectInfo(bucket: string, key: string, raw: Omit<HeadObjectCommandOutput, '$metadata'>): ObjectInfo {
  return {
    bucket,
    key,
    contentLength: raw.ContentLength ?? 0,
    contentType: raw.ContentType,
    etag: raw.ETag,
    lastModified: raw.LastModified,
    metadata: raw.Metadata ?? {},
    versionId: raw.VersionId,
  };
}
