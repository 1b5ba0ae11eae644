import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand, type ChecksumAlgorithm } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { ObjectWritten } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkBucket, checkCount, checkFlag, checkHeaderValue, checkMetadata, checkNewKey, firstProblem } from '../internal/validate';
import { crc32Of, withDigest } from '../internal/integrity';

/**
 * What `putObject` accepts as a body (its third argument): a string (sent as UTF-8), bytes, or a Node `Readable`.
 * A stream needs `contentLength`; for unknown lengths use `uploadStream`.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * const body: PutBody = await readFile('./report.pdf');
 * rx.putObject('docs', 'report.pdf', body, { contentType: 'application/pdf' }).subscribe(console.log);
 * ```
 */
export type PutBody = string | Uint8Array | Readable;

/**
 * The integrity checksums `putObject` can send (its `checksum` option). `MD5` is `Content-MD5`, checked by every
 * S3 server. A body that does not match makes `putObject` emit one `Err`.
 *
 * @example
 * ```ts
 * const checksum: PutChecksum = 'SHA256';
 * rx.putObject('notes', 'today.txt', 'hello', { checksum }).subscribe((r) => r.err && console.error(r.val.kind));
 * ```
 */
export type PutChecksum = 'MD5' | 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';

/**
 * Options of `putObject` (its last argument).
 *
 * @example
 * ```ts
 * rx.putObject('notes', 'today.json', JSON.stringify({ mood: 'ok' }), {
 *   contentType: 'application/json', metadata: { author: 'ada' }, checksum: 'MD5',
 * }).subscribe((r) => console.log(r.ok ? r.val.etag : r.val.message));
 * ```
 */
export interface PutObjectOptions {
  /** User metadata, stored as `x-amz-meta-*`. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly contentType?: string;
  /** Have the server verify the body against a checksum computed here. In-memory bodies only. */
  readonly checksum?: PutChecksum;
  /** Required with a stream body: its exact length in bytes. */
  readonly contentLength?: number;
  /**
   * Record the body's CRC32 in the object's metadata (`x-amz-meta-rxs3-crc32`), which `downloadFile` and
   * `downloadStream` verify. In-memory bodies only (a stream's headers go out before its bytes). Default true.
   */
  readonly integrity?: boolean;
}

/**
 * Writes one object in a single request. Emits one `Ok(ObjectWritten)` or one `Err`, then completes.
 * Unsubscribing aborts the upload (S3 stores nothing from an aborted single PUT).
 */
export function putObject(
  ctx: ClientContext,
  bucket: string,
  key: string,
  body: PutBody,
  options: PutObjectOptions = {},
): Observable<Result<ObjectWritten, S3Error>> {
  const context = { operation: 'putObject', bucket, key };
  const isStream = body instanceof Readable;
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkNewKey(key, context),
    checkMetadata(options.metadata, context),
    checkHeaderValue(options.contentType, 'contentType', context),
    isStream && options.contentLength === undefined
      ? s3Error('InvalidInput', context, 'a stream body needs contentLength; for a stream of unknown length use uploadStream')
      : undefined,
    isStream && options.checksum !== undefined
      ? s3Error('InvalidInput', context, 'checksum needs an in-memory body (string or bytes); uploadFile checks its parts itself')
      : undefined,
    options.contentLength === undefined ? undefined : checkCount(options.contentLength, 'contentLength', context, 0),
    checkFlag(options.integrity, 'integrity', context),
  );
  return unlessInvalid(problem, () =>
    invalidating(ctx, bucket, () => [key],
      fromRequest(context, async (abortSignal) => {
        const raw = await ctx.client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            // Always sent: without it an empty body goes out with no Content-Length at all.
            ContentLength: options.contentLength ?? (isStream ? undefined : Buffer.byteLength(body)),
            ContentType: options.contentType,
            Metadata: withDigest(options.metadata, options.integrity === false || isStream ? undefined : crc32Of(typeof body === 'string' ? Buffer.from(body) : body)),
            ...checksumFields(body, options.checksum),
          }),
          { abortSignal },
        );
        return { bucket, key, etag: raw.ETag, versionId: raw.VersionId, raw };
      }),
    ),
  );
}

function checksumFields(body: PutBody, checksum: PutChecksum | undefined): { ContentMD5?: string; ChecksumAlgorithm?: ChecksumAlgorithm } {
  if (checksum === undefined || body instanceof Readable) return {};
  if (checksum === 'MD5') return { ContentMD5: createHash('md5').update(body).digest('base64') };
  return { ChecksumAlgorithm: checksum };
}
