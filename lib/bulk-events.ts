/**
 * The values the bulk operations (`uploadDirectory`, `downloadPrefix`, `copyPrefix`, `movePrefix`,
 * `deletePrefix`, `sync`) emit inside `Ok(...)`: per-object events, aggregate progress ticks and one summary.
 * @packageDocumentation
 */
import type { S3Error } from './errors';

/**
 * What a bulk job does to one object: `upload` (file to S3), `download` (S3 to file), `copy` (S3 to S3), `move`
 * (any of those, then the source is deleted), `delete` (an object or file removed: `deletePrefix`, or an extra
 * at the target of `sync({ delete: true })`).
 *
 * @example
 * ```ts
 * const verb: Record<BulkAction, string> = { upload: 'up', download: 'down', copy: 'copy', move: 'move', delete: 'rm' };
 * ```
 */
export type BulkAction = 'upload' | 'download' | 'copy' | 'move' | 'delete';

/**
 * Why a bulk job transfers an object: it is `missing` at the target, its `size` differs, the source is `newer`,
 * the timestamps differ (`timestamp`, with `exactTimestamps`), the content differs (`content`, with
 * `compareContent`), the job copies everything (`copy`), or the object is an `extra` at the target (a delete).
 *
 * @example
 * ```ts
 * rx.sync({ from: './site', to: { bucket: 'www' } }).pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'started') console.log(e.key, 'because', e.reason satisfies TransferReason);
 * });
 * ```
 */
export type TransferReason = 'missing' | 'size' | 'newer' | 'timestamp' | 'content' | 'copy' | 'extra';

/**
 * Why a bulk job left an object alone: `unchanged` (sync found it up to date), `excluded` (by the filters),
 * `symlink` (not followed), `special` (a socket, FIFO or device), `unsafe-key` (a key that would write outside the
 * target directory, or has empty, `.` or `..` segments or backslashes), `collision` (a key under another key that
 * is a file: `a` and `a/b`), `directory-marker` (a key ending in `/`), `bad-name` (a file name that is not UTF-8).
 *
 * @example
 * ```ts
 * rx.downloadPrefix('b', 'in/', './in').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'skipped' && e.reason === 'unsafe-key') console.warn('refused', e.key, e.detail);
 * });
 * ```
 */
export type SkipReason = 'unchanged' | 'excluded' | 'symlink' | 'special' | 'unsafe-key' | 'collision' | 'directory-marker' | 'bad-name';

/**
 * One object of a bulk job is being transferred (or deleted): emitted once per object the job acts on, before any
 * of its bytes move; later followed by exactly one `done` or `failed` for the same key (unless the job is stopped).
 * `key` is relative to the job's root; `source` and `target` are full (`s3://bucket/key` or a local path).
 *
 * @example
 * ```ts
 * if (e.kind === 'started') console.log(`${e.action} ${e.source} -> ${e.target} (${e.reason})`);
 * ```
 */
export interface BulkStarted {
  readonly kind: 'started';
  readonly action: BulkAction;
  readonly key: string;
  readonly source: string;
  readonly target: string;
  readonly size: number | undefined;
  readonly reason: TransferReason;
}

/**
 * One object was left alone, with the reason: emitted once per such object, in key order of the walk.
 *
 * @example
 * ```ts
 * if (e.kind === 'skipped') console.log('skipped', e.key, e.reason, e.detail ?? '');
 * ```
 */
export interface BulkSkipped {
  readonly kind: 'skipped';
  readonly key: string;
  readonly source: string | undefined;
  readonly reason: SkipReason;
  readonly detail: string | undefined;
}

/**
 * One object's action finished: emitted once per successful `started` (deletes, sent 1,000 keys per request,
 * have no `started`: one `done` or `failed` each). For downloads the file is complete, in
 * place and has the object's LastModified as its mtime; for moves the source is deleted too.
 *
 * @example
 * ```ts
 * if (e.kind === 'done') console.log(`${e.action}: ${e.source} to ${e.target} (${e.size} bytes)`);
 * ```
 */
export interface BulkDone {
  readonly kind: 'done';
  readonly action: BulkAction;
  readonly key: string;
  readonly source: string;
  readonly target: string;
  readonly size: number | undefined;
  readonly elapsedMs: number;
}

/**
 * One object's action failed: emitted once per failed `started` (or for a file or directory that could not be
 * read), with its `S3Error`. The job goes on with the other objects unless `failFast` is set.
 *
 * @example
 * ```ts
 * if (e.kind === 'failed') console.error(e.key, e.error.kind, e.error.message);
 * ```
 */
export interface BulkFailed {
  readonly kind: 'failed';
  readonly action: BulkAction;
  readonly key: string;
  readonly source: string;
  readonly target: string;
  readonly error: S3Error;
}

/**
 * With `dryRun`: what the job would do to one object (nothing is sent that changes anything). Emitted instead of
 * `started`/`done`.
 *
 * @example
 * ```ts
 * if (e.kind === 'planned') console.log(`(dryrun) ${e.action}: ${e.source} to ${e.target}`);
 * ```
 */
export interface BulkPlanned extends Omit<BulkStarted, 'kind'> {
  readonly kind: 'planned';
}

/**
 * An aggregate progress tick of a bulk job, throttled (default at most one per 250 ms), monotonic, and one last
 * tick before the summary. Totals grow while the walk and listing go on: `totalsFinal` says they are complete.
 *
 * @example
 * ```ts
 * if (e.kind === 'progress') console.log(`${e.objectsDone}/${e.objectsTotal} files, ${e.bytesDone}/${e.bytesTotal} bytes`);
 * ```
 */
export interface BulkProgress {
  readonly kind: 'progress';
  /** Objects acted on so far (done or failed). */
  readonly objectsDone: number;
  /** Objects to act on, as far as the walk got. */
  readonly objectsTotal: number;
  /** Bytes moved so far (a server-side copy counts its size once done). */
  readonly bytesDone: number;
  /** Bytes to move, as far as the walk got. */
  readonly bytesTotal: number;
  /** True once the walk and the listing are complete (the totals are final). */
  readonly totalsFinal: boolean;
  /** Average rate since the job started. */
  readonly bytesPerSecond: number;
  readonly elapsedMs: number;
}

/**
 * The last value of a bulk job that ran to its end: exactly one, then the stream completes. `ok` is true when no
 * object failed. A job stopped by `failFast` or by a failure of the walk or listing ends with an `Err` instead.
 *
 * @example
 * ```ts
 * const last = await lastValueFrom(rx.sync({ from: './site', to: { bucket: 'www' }, delete: true }));
 * if (last.ok && last.val.kind === 'summary' && !last.val.ok) console.error('failed:', last.val.failedKeys);
 * ```
 */
export interface BulkSummary {
  readonly kind: 'summary';
  /** True when nothing failed. */
  readonly ok: boolean;
  /** Objects uploaded, downloaded, copied or moved. */
  readonly transferred: number;
  /** Objects or files deleted (`deletePrefix`, or extras with `delete`). */
  readonly deleted: number;
  readonly skipped: number;
  readonly failed: number;
  /** With `dryRun`: the actions that would have been taken. */
  readonly planned: number;
  /** Bytes transferred. */
  readonly bytes: number;
  /** The keys that failed (the first 1,000). */
  readonly failedKeys: readonly string[];
  /** True when `delete` was asked but skipped because something failed (rclone's rule). */
  readonly deleteSkipped: boolean;
  readonly dryRun: boolean;
  readonly elapsedMs: number;
}

/**
 * Everything a bulk job emits: per-object `started`, `skipped`, `planned`, `done` and `failed` events, `progress`
 * ticks, then exactly one `summary`; then the stream completes. Bad input is one `Err` before anything is sent; a
 * failure that stops the job (the walk or listing failed, or an object failed with `failFast`) is one `Err` as
 * the last value. Unsubscribing cancels every transfer in flight with the usual guarantees (no open multipart
 * upload, no temp file; `rx.flushCleanups()` waits for that).
 *
 * @example
 * ```ts
 * rx.uploadDirectory('./photos', 'backup', 'photos/').subscribe((r) => {
 *   if (r.err) console.error('stopped:', r.val.message);
 *   else if (r.val.kind === 'failed') console.error(r.val.key, r.val.error.kind);
 *   else if (r.val.kind === 'summary') console.log(r.val.ok ? 'all done' : `${r.val.failed} failed`);
 * });
 * ```
 */
export type BulkEvent = BulkStarted | BulkSkipped | BulkPlanned | BulkDone | BulkFailed | BulkProgress | BulkSummary;
