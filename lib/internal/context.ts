import type { S3Client } from '@aws-sdk/client-s3';
import { finalize, type Observable } from 'rxjs';
import type { ObjectMetadata } from '../events';
import type { Cleanups } from './cleanups';
import type { DataPlane } from './lean/data-plane';
import type { MetadataCache } from './metadata-cache';

/** What every operation needs from the `RxS3` instance that runs it. */
export interface ClientContext {
  readonly client: S3Client;
  /**
   * The data plane (HeadObject, GetObject, PutObject, UploadPart): send those four commands through it, never
   * through `client.send`; it takes the lean path or the SDK's as the client's configuration allows.
   */
  readonly data: DataPlane;
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

const contexts = new WeakMap<object, ClientContext>();

/** Records the context of an `RxS3` instance, for operations that run through another instance's client (sync). */
export function registerContext(owner: object, context: ClientContext): void {
  contexts.set(owner, context);
}

/** The context of an `RxS3` instance, if it registered one. */
export function contextOf(owner: object): ClientContext | undefined {
  return contexts.get(owner);
}
