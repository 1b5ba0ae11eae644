import { s3Error, type ErrorContext, type S3Error } from '../errors';
import { checkBucket, checkKey, checkNewKey, firstProblem } from './validate';

/**
 * One object, as `copyObject` and `moveObject` take their source and target: a bucket, a key and, for a source
 * in a versioned bucket, optionally the version to read (ignored on a target: S3 names the new version).
 *
 * @example
 * ```ts
 * const source: ObjectRef = { bucket: 'photos', key: 'cat.jpg', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' };
 * rx.copyObject(source, { bucket: 'archive', key: 'cat-v1.jpg' });
 * ```
 */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** A source or target of a copy: its bucket, its key, and a version id that is a non-empty string if given. */
export function checkObjectRef(ref: ObjectRef | undefined, what: 'source' | 'target', context: ErrorContext): S3Error | undefined {
  if (typeof ref !== 'object' || ref === null) return s3Error('InvalidInput', context, `the ${what} must be an object { bucket, key }`);
  return firstProblem(
    checkBucket(ref.bucket, context),
    // A target key is a new key: refused if listings could not carry it back.
    (what === 'target' ? checkNewKey : checkKey)(ref.key, context, `${what} key`),
    ref.versionId === undefined || (typeof ref.versionId === 'string' && ref.versionId !== '')
      ? undefined
      : s3Error('InvalidInput', context, `the ${what}'s versionId must be a non-empty string`),
  );
}

/**
 * The `CopySource` header value for an object: `bucket/key`, URL-encoded. The SDK sends it as given, and S3
 * decodes it, so a key with `+ & = ? # : ;`, spaces or non-ASCII letters must be percent-encoded (slashes kept).
 */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId === undefined ? path : `${path}?versionId=${encodeURIComponent(versionId)}`;
}
