/**
 * The server-side job the page watches: download everything under a prefix to a local directory, one
 * `downloadFile` per key of the listing, two at a time. It is an Observable of `Result<JobEvent, S3Error>` like
 * every rx-s3 operation (cold, cancellable, failures are values), so another job (a sync, a bulk copy) with the
 * same events can take its place in app.ts.
 */
import { join } from 'node:path';
import { concat, concatMap, defer, EMPTY, from, map, mergeMap, of, reduce, takeWhile, type Observable } from 'rxjs';
import { Err, Ok, type Result, type RxS3, type S3Error } from '../../../lib';

/** One file of a job, as the page draws it. */
export interface JobFile {
  readonly key: string;
  readonly size: number;
}

/** What a job emits: its plan, then per-file progress with the running total, then `done`. */
export type JobEvent =
  | { readonly kind: 'plan'; readonly files: readonly JobFile[]; readonly totalBytes: number }
  | {
      readonly kind: 'progress';
      readonly key: string;
      readonly fileBytes: number;
      readonly fileTotal: number;
      /** Bytes of the whole job so far, and its size. */
      readonly transferredBytes: number;
      readonly totalBytes: number;
    }
  | { readonly kind: 'file-done'; readonly key: string; readonly filePath: string }
  | { readonly kind: 'done'; readonly files: number; readonly totalBytes: number };

/**
 * Downloads every object under `prefix` into `directory` (named by the rest of the key, which must be flat). The
 * first failure ends the job (the downloads in flight are unsubscribed: their temp files are removed).
 */
export function prefixDownload(rx: RxS3, bucket: string, prefix: string, directory: string): Observable<Result<JobEvent, S3Error>> {
  return rx.listObjects(bucket, { prefix }).pipe(
    reduce(
      (all: Result<JobFile[], S3Error>, page): Result<JobFile[], S3Error> =>
        all.err ? all : page.err ? Err(page.val) : Ok([...all.val, ...page.val.objects.map((o) => ({ key: o.key, size: o.size }))]),
      Ok([]),
    ),
    concatMap((listed) => (listed.err ? of(Err(listed.val)) : download(rx, bucket, prefix, directory, listed.val))),
  );
}

function download(rx: RxS3, bucket: string, prefix: string, directory: string, files: readonly JobFile[]): Observable<Result<JobEvent, S3Error>> {
  return defer(() => {
    const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
    const moved = new Map<string, number>();
    let failed = false;
    const perFile$ = from(files).pipe(
      mergeMap((file) =>
        rx.downloadFile(bucket, file.key, join(directory, file.key.slice(prefix.length))).pipe(
          map((r): Result<JobEvent, S3Error> => {
            if (r.err) return r;
            if (r.val.kind === 'complete') return Ok({ kind: 'file-done', key: file.key, filePath: r.val.output.filePath });
            moved.set(file.key, r.val.transferredBytes);
            const transferredBytes = [...moved.values()].reduce((a, b) => a + b, 0);
            return Ok({ kind: 'progress', key: file.key, fileBytes: r.val.transferredBytes, fileTotal: r.val.totalBytes, transferredBytes, totalBytes });
          }),
        ), 2),
      takeWhile((r) => r.ok || !(failed = true), true),
    );
    return concat(
      of(Ok<JobEvent>({ kind: 'plan', files, totalBytes })),
      perFile$,
      defer(() => (failed ? EMPTY : of(Ok<JobEvent>({ kind: 'done', files: files.length, totalBytes })))),
    );
  });
}
