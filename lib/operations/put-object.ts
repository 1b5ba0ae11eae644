import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PutObjectCommand, type ChecksumAlgorithm } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { ObjectWritten } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { ensureAbsent } from '../internal/if-none-match';
import { crc32Of, withDigest } from '../internal/integrity';
import { sseCustomerFields } from '../internal/sse';
import { streamOpener } from '../internal/stream-input';
import { checkTimeouts, type TimeoutOptions } from '../internal/timeouts';
import { checkWriteOptions, writeFields, type WriteOptions } from '../internal/upload-options';
import { checkBucket, checkCount, checkFlag, checkNewKey, firstProblem } from '../internal/validate';

/**
 * What `putObject` accepts as a body (its third argument): a string (sent as UTF-8), bytes, a Node `Readable`
 * (read by the first subscription only: a second one gets `Err(InvalidInput)`), or a function returning a fresh
 * `Readable` per subscription. A stream needs `contentLength`; for unknown lengths use `uploadStream`.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * const body: PutBody = await readFile('./report.pdf');
 * rx.putObject('docs', 'report.pdf', body, { contentType: 'application/pdf' }).subscribe(console.log);
 * ```
 */
export type PutBody = string | Uint8Array | Readable | (() => Readable);

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
 * Options of `putObject` (its last argument): the {@link WriteOptions} shared with uploads (metadata, content
 * type, tags, `ifNoneMatch`, SSE-C key, the SDK's own fields as `params`), plus a checksum and a stream's length.
 *
 * @example
 * ```ts
 * rx.putObject('notes', 'today.json', JSON.stringify({ mood: 'ok' }), {
 *   contentType: 'application/json', metadata: { author: 'ada' }, checksum: 'MD5',
 *   tags: { team: 'ops' }, params: { CacheControl: 'no-cache', ServerSideEncryption: 'AES256' },
 * }).subscribe((r) => console.log(r.ok ? r.val.etag : r.val.message));
 * ```
 */
export interface PutObjectOptions extends WriteOptions {
  /** Have the server verify the body against a checksum computed here. In-memory bodies only. */
  readonly checksum?: PutChecksum;
  /** Required with a stream body: its exact length in bytes. */
  readonly contentLength?: number;
  /** Timeouts of this call (over the client's `timeouts`), and its deadline: see {@link TimeoutOptions}. */
  readonly timeouts?: TimeoutOptions;
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
  const isStream = body instanceof Readable || typeof body === 'function';
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkNewKey(key, context),
    checkWriteOptions(options, context),
    isStream && options.contentLength === undefined
      ? s3Error('InvalidInput', context, 'a stream body needs contentLength; for a stream of unknown length use uploadStream')
      : undefined,
    isStream && options.checksum !== undefined
      ? s3Error('InvalidInput', context, 'checksum needs an in-memory body (string or bytes); uploadFile checks its parts itself')
      : undefined,
    options.contentLength === undefined ? undefined : checkCount(options.contentLength, 'contentLength', context, 0),
    checkTimeouts(options.timeouts, context),
    checkFlag(options.integrity, 'integrity', context),
  );
  return unlessInvalid(problem, () => {
    const open = isStream ? streamOpener(body, context) : undefined;
    return invalidating(ctx, bucket, () => [key],
      fromRequest(context, async (abortSignal) => {
        await ensureAbsent(ctx, { bucket, key, ifNoneMatch: options.ifNoneMatch, sseCustomer: sseCustomerFields(options.sseCustomerKey) }, context, abortSignal);
        const fields = writeFields(options);
        const raw = await ctx.data.send(
          new PutObjectCommand({
            ...fields,
            Bucket: bucket,
            Key: key,
            Body: open === undefined ? body as string | Uint8Array : open(),
            // Always sent: without it an empty body goes out with no Content-Length at all.
            ContentLength: options.contentLength ?? (isStream ? undefined : Buffer.byteLength(body)),
            Metadata: withDigest(fields.Metadata, options.integrity === false || open !== undefined ? undefined : crc32Of(typeof body === 'string' ? Buffer.from(body) : body as Uint8Array)),
            ...checksumFields(body, options.checksum),
          }),
          { abortSignal },
        );
        return { bucket, key, etag: raw.ETag, versionId: raw.VersionId, raw };
      }, undefined, options.timeouts),
    );
  });
}

function checksumFields(body: PutBody, checksum: PutChecksum | undefined): { ContentMD5?: string; ChecksumAlgorithm?: ChecksumAlgorithm } {
  if (checksum === undefined || body instanceof Readable || typeof body === 'function') return {};
  if (checksum === 'MD5') return { ContentMD5: createHash('md5').update(body).digest('base64') };
  return { ChecksumAlgorithm: checksum };
}
