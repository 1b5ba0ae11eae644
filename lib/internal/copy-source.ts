/**
 * The `CopySource` header value for an object: `bucket/key`, URL-encoded. The SDK sends it as given, and S3
 * decodes it, so a key with `+ & = ? # : ;`, spaces or non-ASCII letters must be percent-encoded (slashes kept).
 */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const path = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  return versionId === undefined ? path : `${path}?versionId=${encodeURIComponent(versionId)}`;
}
