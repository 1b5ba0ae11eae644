import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { ObjectBody } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { toObjectInfo } from '../internal/object-info';
import { checkTimeouts, type TimeoutOptions } from '../internal/timeouts';
import { checkSseCustomerKey, sseCustomerFields, type SseCustomerKey } from '../internal/sse';
import { checkBucket, checkFlag, checkKey, firstProblem, show } from '../internal/validate';
import { expectedDigest, verifyingBody } from '../internal/integrity';

/**
 * A byte range, the `range` option of `getObject`: `{ start, end }` (both inclusive; `end` omitted means to the
 * end) or the last `suffix` bytes. A range that makes no sense is rejected as `InvalidInput` before any request.
 *
 * @example
 * ```ts
 * const lastKiB: ByteRange = { suffix: 1024 };
 * rx.getObject('logs', 'today.log', { range: lastKiB }).subscribe((r) => {
 *   if (r.ok) r.val.body.pipe(process.stdout);
 * });
 * ```
 */
export type ByteRange = { readonly start: number; readonly end?: number } | { readonly suffix: number };

/**
 * Options of `getObject` (its last argument).
 *
 * @example
 * ```ts
 * import { buffer } from 'node:stream/consumers';
 * const ifMatch = '"3858f62230ac3c915f300c664312c63f"';
 * const r = await lastValueFrom(rx.getObject('photos', 'cat.jpg', { range: { start: 0, end: 15 }, ifMatch }));
 * if (r.ok) console.log((await buffer(r.val.body)).toString('hex')); // the first 16 bytes
 * else console.log(r.val.kind); // 'PreconditionFailed' when the object changed
 * ```
 */
export interface GetObjectOptions {
  readonly range?: ByteRange;
  /** Only answer if the object's ETag is this one (else `PreconditionFailed`). */
  readonly ifMatch?: string;
  /**
   * Timeouts of this call (over the client's `timeouts`): see {@link TimeoutOptions}. The idle timeout also watches
   * the body: a body that stops arriving fails with a `Timeout` error (one you are slow to read does not).
   */
  readonly timeouts?: TimeoutOptions;
  /** Read this version (in a versioned bucket) instead of the latest. */
  readonly versionId?: string;
  /** The object's SSE-C customer key, when it is encrypted with one. */
  readonly sseCustomerKey?: SseCustomerKey;
  /**
   * For a whole-object read of an object with a CRC32 (rx-s3's metadata digest or the server's full-object
   * checksum): check the body as it is read; a mismatch fails the stream with a "Checksum mismatch" error at its
   * end (`toS3Error` makes it `Integrity`). Default true; ranged reads are not checked.
   */
  readonly integrity?: boolean;
}

/**
 * Reads one object. Emits one `Ok(ObjectBody)` whose `body` is a Node `Readable` not yet read, or one `Err`
 * (`NoSuchKey`, `NoSuchBucket`, `PreconditionFailed`...), then completes.
 *
 * Unsubscribing before the answer arrives aborts the request; an answer that arrives after the subscriber left is
 * destroyed, so no socket is left open. Once emitted, the body is yours: read it or destroy it.
 */
export function getObject(ctx: ClientContext, bucket: string, key: string, options: GetObjectOptions = {}): Observable<Result<ObjectBody, S3Error>> {
  const context = { operation: 'getObject', bucket, key };
  const range = options.range === undefined ? undefined : rangeHeader(options.range);
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkKey(key, context),
    range === null ? s3Error('InvalidInput', context, `invalid range ${show(options.range)}`) : undefined,
    checkTimeouts(options.timeouts, context),
    checkSseCustomerKey(options.sseCustomerKey, context),
    checkFlag(options.integrity, 'integrity', context),
  );
  return unlessInvalid(problem, () =>
    fromRequest(
      context,
      async (abortSignal) => {
        const { Body, ...raw } = await ctx.data.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, Range: range ?? undefined, IfMatch: options.ifMatch, VersionId: options.versionId, ...sseCustomerFields(options.sseCustomerKey) }),
          { abortSignal },
        );
        const expected = range === undefined && options.integrity !== false ? expectedDigest(raw) : undefined;
        const body = expected === undefined ? (Body as Readable) : verifyingBody(Body as Readable, expected);
        return { ...toObjectInfo(bucket, key, raw), body, contentRange: raw.ContentRange, raw };
      },
      (late) => late.body.destroy(),
      options.timeouts,
    ),
  );
}

/** The `Range` header for a {@link ByteRange}, or null when the range makes no sense. */
export function rangeHeader(range: ByteRange): string | null {
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if ('suffix' in range) return whole(range.suffix) && range.suffix > 0 ? `bytes=-${range.suffix}` : null;
  if (!whole(range.start)) return null;
  if (range.end === undefined) return `bytes=${range.start}-`;
  return whole(range.end) && range.end >= range.start ? `bytes=${range.start}-${range.end}` : null;
}
