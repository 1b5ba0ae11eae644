import { createHash } from 'node:crypto';
import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { concatMap, from, of, takeWhile, type Observable } from 'rxjs';
import { Ok, type Result } from 'ts-results';
import { kindOfCode, s3Error, type S3Error } from '../errors';
import type { DeleteBatch } from '../events';
import { invalidating, type ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { withTimeouts } from '../internal/deadline';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkKey, firstProblem } from '../internal/validate';

/** The most keys one DeleteObjects request may carry. */
export const DELETE_BATCH_SIZE = 1000;

/**
 * Deletes many objects, split into requests of at most 1,000 keys sent one after another: one `Ok(DeleteBatch)`
 * per request, with the keys deleted and the per-key errors the service reported. A request that fails as a
 * whole is one `Err`, and later batches are not sent. An empty `keys` sends nothing and emits one empty batch,
 * as an empty listing is one empty page, so `lastValueFrom` works on any key list.
 */
export function deleteObjects(ctx: ClientContext, bucket: string, keys: readonly string[], options: CallOptions = {}): Observable<Result<DeleteBatch, S3Error>> {
  const context = { operation: 'deleteObjects', bucket };
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkTimeouts(options.timeouts, context),
    ...(Array.isArray(keys) ? keys.map((key) => checkKey(key, { ...context, key })) : [s3Error('InvalidInput', context, 'keys must be an array of keys')]),
  );
  return unlessInvalid(problem, () =>
    keys.length === 0
      ? of(Ok<DeleteBatch>({ bucket, deleted: [], errors: [], raw: undefined }))
      : withTimeouts(options.timeouts, context, from(chunk(keys, DELETE_BATCH_SIZE)).pipe(
          concatMap((batch) => invalidating(ctx, bucket, () => batch, deleteBatch(ctx, bucket, batch))),
          takeWhile((result) => result.ok, true),
        )),
  );
}

function deleteBatch(ctx: ClientContext, bucket: string, keys: readonly string[]): Observable<Result<DeleteBatch, S3Error>> {
  return fromRequest({ operation: 'deleteObjects', bucket }, async (abortSignal) => {
    const command = new DeleteObjectsCommand({
      Bucket: bucket,
      Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: false },
    });
    // Many S3-compatible servers still require Content-MD5 on DeleteObjects; the SDK now sends only a CRC32.
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown; headers?: Record<string, string> };
        if (typeof request.body === 'string' && request.headers !== undefined) {
          request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
        }
        return next(args);
      },
      { step: 'build', name: 'rxS3DeleteObjectsContentMd5' },
    );
    const raw = await ctx.client.send(command, { abortSignal });
    return {
      bucket,
      deleted: (raw.Deleted ?? []).flatMap((d) => (d.Key === undefined ? [] : [d.Key])),
      errors: (raw.Errors ?? []).map((e) => ({ kind: kindOfCode(e.Code), key: e.Key ?? '', code: e.Code, message: e.Message })),
      raw,
    };
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
