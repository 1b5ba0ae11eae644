import type { S3Client } from '@aws-sdk/client-s3';
import { finalize, type Observable } from 'rxjs';
import type { ObjectMetadata } from '../events';
import type { Cleanups } from './cleanups';
import type { MetadataCache } from './metadata-cache';

/** What every operation needs from the `RxS3` instance that runs it. */
export interface ClientContext {
  readonly client: S3Client;
  /** Present when the metadata cache is enabled. */
  readonly metadataCache: MetadataCache<ObjectMetadata> | undefined;
  /** Clean-ups that outlive their subscriber (abort a multipart upload, delete a temp file). */
  readonly cleanups: Cleanups;
}

/**
 * Marks `source` as a write to `keys`: when it ends (completes, fails or is unsubscribed: the write may have
 * happened in every case) the metadata cache forgets those keys.
 */
export function invalidating<T>(context: ClientContext, bucket: string, keys: () => Iterable<string>, source: Observable<T>): Observable<T> {
  const cache = context.metadataCache;
  if (cache === undefined) return source;
  return source.pipe(finalize(() => cache.invalidate(bucket, keys())));
}
