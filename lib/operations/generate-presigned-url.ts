import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { PresignedUrl, PresignMethod } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkBucket, checkKey, checkTtl, firstProblem, show } from '../internal/validate';

/**
 * Options of `generatePresignedUrl` (its last argument). A `ttl` out of range makes the operation emit one
 * `Err` (`InvalidInput`).
 *
 * @example
 * ```ts
 * const options = { ttl: 900, contentType: 'image/png' };
 * const r = await lastValueFrom(rx.generatePresignedUrl('PUT', 'uploads', 'avatar.png', options));
 * if (r.ok) console.log(`curl -X PUT -H 'content-type: image/png' --data-binary @avatar.png '${r.val.url}'`);
 * ```
 */
export interface PresignOptions {
  /** Seconds the URL stays valid: a whole number from 1 to 604,800 (7 days). Default 3,600. */
  readonly ttl?: number;
  /** For PUT: the Content-Type the uploader must send (it becomes part of the signature). */
  readonly contentType?: string;
}

const COMMANDS = {
  GET: (Bucket: string, Key: string) => new GetObjectCommand({ Bucket, Key }),
  HEAD: (Bucket: string, Key: string) => new HeadObjectCommand({ Bucket, Key }),
  DELETE: (Bucket: string, Key: string) => new DeleteObjectCommand({ Bucket, Key }),
  PUT: (Bucket: string, Key: string, ContentType?: string) => new PutObjectCommand({ Bucket, Key, ContentType }),
} as const;

/**
 * Signs a URL that lets anyone holding it perform one `method` on one object until it expires. No request is
 * sent: signing is local. Emits one `Ok(PresignedUrl)` or one `Err` (`InvalidInput` for a bad method, bucket, key
 * or TTL), then completes.
 */
export function generatePresignedUrl(
  ctx: ClientContext,
  method: PresignMethod,
  bucket: string,
  key: string,
  options: PresignOptions = {},
): Observable<Result<PresignedUrl, S3Error>> {
  const context = { operation: 'generatePresignedUrl', bucket, key };
  const ttl = options.ttl ?? 3600;
  const methodProblem = Object.hasOwn(COMMANDS, method)
    ? undefined
    : s3Error('InvalidInput', context, `method must be one of GET, PUT, DELETE, HEAD; got ${show(method)}`);
  return unlessInvalid(firstProblem(methodProblem, checkBucket(bucket, context), checkKey(key, context), checkTtl(ttl, context)), () =>
    fromRequest(context, async () => {
      const signedAt = Date.now();
      const url = await getSignedUrl(ctx.client, COMMANDS[method](bucket, key, options.contentType), { expiresIn: ttl });
      return { url, method, bucket, key, expiresIn: ttl, expiresAt: new Date(signedAt + ttl * 1000) };
    }),
  );
}
