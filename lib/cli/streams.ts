/** The pieces the commands share: transfer events, "then delete the source", a promise as a Result stream, deleting under a prefix. */
import { catchError, concat, concatMap, defer, EMPTY, from, map, of, type Observable } from 'rxjs';
import { Err, Ok, toS3Error, type CopyEvent, type DownloadEvent, type ErrorContext, type KeyRange, type Result, type RxS3, type S3Error, type StreamEvent, type UploadEvent } from '../index';
import type { CliEvent, CliStream } from './events';
import { s3Url } from './location';

/**
 * A transfer's events as CLI events: its progress ticks, then one `complete` with the size, ETag, parts and the
 * time it took. `Err` passes through.
 */
export function transferEvents(
  action: 'upload' | 'download' | 'copy',
  source: string,
  target: string,
  events$: Observable<Result<UploadEvent | DownloadEvent | StreamEvent | CopyEvent, S3Error>>,
): CliStream {
  return defer(() => {
    let elapsedMs = 0;
    return events$.pipe(
      concatMap((result): Observable<Result<CliEvent, S3Error>> => {
        if (result.err) return of(result);
        const event = result.val;
        switch (event.kind) {
          case 'progress':
            elapsedMs = event.elapsedMs;
            return of(Ok<CliEvent>({ ...event, kind: 'progress', action, source, target }));
          case 'data':
            return EMPTY;
          case 'complete': {
            const output = event.output;
            const upload = 'parts' in output ? { parts: output.parts, uploadId: output.uploadId } : {};
            return of(Ok<CliEvent>({ kind: 'complete', action, source, target, size: output.size, etag: output.etag, ...upload, elapsedMs }));
          }
        }
      }),
    );
  });
}

/**
 * For `mv`: once `transfer$` completed, says the data is at the target (`stage: 'copied'`), deletes the source
 * with `remove`, and only then emits the `complete` of the move. A failed transfer deletes nothing.
 */
export function thenDeleteSource(transfer$: CliStream, remove: () => Observable<Result<unknown, S3Error>>): CliStream {
  return transfer$.pipe(
    concatMap((result): CliStream => {
      if (result.err || result.val.kind !== 'complete') return of(result);
      const done = result.val;
      const stage: CliEvent = { kind: 'stage', action: 'move', stage: 'copied', source: done.source ?? '-', target: done.target };
      return concat(
        of(Ok(stage)),
        remove().pipe(
          map((removed): Result<CliEvent, S3Error> =>
            removed.ok
              ? Ok({ ...done, action: 'move' })
              : Err({ ...removed.val, message: `copied to ${done.target}, but deleting ${done.source ?? 'the source'} failed (${removed.val.message}); both exist` }),
          ),
        ),
      );
    }),
  );
}

/** A promise (a local file operation) as a one-value Result stream: its failure becomes an `Err` via `toS3Error`. */
export function fromPromise<T>(context: ErrorContext, run: () => Promise<T>): Observable<Result<T, S3Error>> {
  return defer(run).pipe(
    map((value): Result<T, S3Error> => Ok(value)),
    catchError((cause: unknown) => of(Err(toS3Error(cause, context)))),
  );
}

/** A prefix taken as a directory: `photos` means `photos/`; `''` (the whole bucket) and `photos/` stay as they are. */
export function directoryPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

/**
 * Deletes every object under `prefix` (a directory: `photos` means `photos/...`; `''` means the whole bucket),
 * page by page as the listing arrives, one DeleteObjects request per page. Emits a `complete` (or, with `dryRun`,
 * a `dryrun` and nothing deleted) per key, and an `Err` per key the service refused. With `range`, only the keys
 * in that key range (a shard).
 */
export function deleteUnder(rx: RxS3, bucket: string, key: string, dryRun: boolean, pageSize?: number, range: KeyRange = {}): CliStream {
  const prefix = directoryPrefix(key);
  return rx.listObjects(bucket, { prefix: prefix === '' ? undefined : prefix, pageSize, ...range }).pipe(
    concatMap((page): CliStream => {
      if (page.err) return of(page);
      const keys = page.val.objects.map((o) => o.key);
      if (dryRun) return from(keys.map((k) => Ok<CliEvent>({ kind: 'dryrun', action: 'delete', source: undefined, target: s3Url(bucket, k) })));
      if (keys.length === 0) return EMPTY;
      return rx.deleteObjects(bucket, keys).pipe(
        concatMap((batch): CliStream => {
          if (batch.err) return of(batch);
          // In listing order: servers answer in their own order (Ceph does not keep the request's).
          const deleted = new Set(batch.val.deleted);
          return from([
            ...keys.filter((k) => deleted.has(k)).map((k) => Ok<CliEvent>({ kind: 'complete', action: 'delete', source: undefined, target: s3Url(bucket, k) })),
            ...batch.val.errors.map((e) =>
              Err<S3Error>({
                kind: e.kind,
                operation: 'deleteObjects',
                bucket,
                key: e.key,
                code: e.code,
                message: `could not delete ${s3Url(bucket, e.key)}: ${e.message ?? e.code ?? 'refused'}`,
              }),
            ),
          ]);
        }),
      );
    }),
  );
}
