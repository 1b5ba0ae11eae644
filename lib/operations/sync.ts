import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type ErrorContext, type S3Error } from '../errors';
import type { BulkEvent } from '../bulk-events';
import type { RxS3 } from '../rx-s3';
import { contextOf, type ClientContext } from '../internal/context';
import { LeanDataPlane } from '../internal/lean/data-plane';
import { unlessInvalid } from '../internal/from-command';
import { runJob, type BulkOptions, type Place, type SyncCompareOptions } from '../internal/bulk/job';
import { MIN_PART_SIZE } from '../internal/multipart';
import { checkTimeouts } from '../internal/timeouts';
import { checkBucket, checkCount, checkText, firstProblem } from '../internal/validate';

/**
 * One side of a bulk job: a local directory (a path), or a bucket and a prefix. A prefix names a folder: `photos`
 * and `photos/` both mean the keys under `photos/`; none means the whole bucket. `client` reaches the bucket
 * through another {@link RxS3} (another endpoint or account); by default the bucket is reached through the client
 * that runs the job.
 *
 * @example
 * ```ts
 * const local: SyncPlace = './site';
 * const remote: SyncPlace = { bucket: 'www', prefix: 'v2/' };
 * const elsewhere: SyncPlace = { bucket: 'mirror', client: new RxS3({ endpoint: 'http://10.0.0.2:7480', forcePathStyle: true }) };
 * ```
 */
export type SyncPlace = string | { readonly bucket: string; readonly prefix?: string; readonly client?: Pick<RxS3, 'client'> };

/**
 * Options of `sync` (its one argument): where from, where to, what to compare, and the {@link BulkOptions}.
 *
 * @example
 * ```ts
 * const options: SyncOptions = { from: './site', to: { bucket: 'www' }, delete: true, filters: [{ exclude: '*.tmp' }] };
 * rx.sync(options).subscribe(console.log);
 * ```
 */
export interface SyncOptions extends BulkOptions, SyncCompareOptions {
  readonly from: SyncPlace;
  readonly to: SyncPlace;
}

/** A prefix as a folder: `''` stays, `a` becomes `a/`. */
export function folderPrefix(prefix: string | undefined): string {
  return prefix === undefined || prefix === '' || prefix.endsWith('/') ? (prefix ?? '') : `${prefix}/`;
}

/** Resolves a place against the client that runs the job, or reports what is wrong with it. */
function resolvePlace(ctx: ClientContext, place: SyncPlace, context: ErrorContext): Place | S3Error {
  if (typeof place === 'string') {
    return place === '' ? s3Error('InvalidInput', context, 'a local directory must be a non-empty path') : { kind: 'local', root: place };
  }
  if (typeof place !== 'object' || place === null) return s3Error('InvalidInput', context, 'a place is a local path or { bucket, prefix? }');
  const problem = checkBucket(place.bucket, context);
  if (problem !== undefined) return problem;
  const other = place.client?.client;
  const otherCtx = place.client === undefined ? undefined : contextOf(place.client);
  const placeCtx: ClientContext = other === undefined || other === ctx.client
    ? ctx
    : { client: other, data: otherCtx?.data ?? new LeanDataPlane(other, { mode: 'sdk', ownHandler: true, builtHere: false }), metadataCache: undefined, cleanups: ctx.cleanups };
  return { kind: 's3', ctx: placeCtx, bucket: place.bucket, prefix: folderPrefix(place.prefix) };
}

function checkBulkOptions(options: BulkOptions, context: ErrorContext): S3Error | undefined {
  const count = (value: number | undefined, name: string, min: number, max?: number): S3Error | undefined =>
    value === undefined ? undefined : checkCount(value, name, context, min, max);
  return firstProblem(
    count(options.concurrency, 'concurrency', 1, 4096),
    count(options.partSize, 'partSize', MIN_PART_SIZE),
    count(options.partConcurrency, 'partConcurrency', 1, 64),
    count(options.maxBandwidth, 'maxBandwidth', 1),
    count(options.progressInterval, 'progressInterval', 0),
    checkTimeouts(options.timeouts, context),
    options.filters === undefined || options.filters.every((f) => typeof f === 'object' && f !== null && (typeof (f as { include?: unknown }).include === 'string' || typeof (f as { exclude?: unknown }).exclude === 'string'))
      ? undefined
      : s3Error('InvalidInput', context, 'filters must be { include: glob } or { exclude: glob } objects'),
    options.range === undefined ? undefined : checkText(options.range.startAfter, 'range.startAfter', context) ?? checkText(options.range.endBefore, 'range.endBefore', context),
  );
}

/** What the public bulk operations share: validate, resolve both places, run the engine. */
export function bulkJob(
  ctx: ClientContext,
  operation: string,
  from: SyncPlace,
  to: SyncPlace | undefined,
  mode: { readonly compare: boolean; readonly move: boolean },
  options: BulkOptions & SyncCompareOptions,
): Observable<Result<BulkEvent, S3Error>> {
  const context = { operation };
  const source = resolvePlace(ctx, from, context);
  const target = to === undefined ? undefined : resolvePlace(ctx, to, context);
  const problem = firstProblem(
    isPlace(source) ? undefined : source,
    target === undefined || isPlace(target) ? undefined : target,
    checkBulkOptions(options, context),
    isPlace(source) && target !== undefined && isPlace(target) && source.kind === 'local' && target.kind === 'local'
      ? s3Error('InvalidInput', context, 'one side must be in S3: local to local is not supported')
      : undefined,
  );
  return unlessInvalid(problem, () =>
    runJob({ operation, source: source as Place, target: target as Place | undefined, compare: mode.compare, move: mode.move, options }),
  );
}

function isPlace(value: Place | S3Error): value is Place {
  return !('message' in value);
}

/**
 * Makes the target like the source, as `aws s3 sync` and rclone do: local to S3, S3 to local, or S3 to S3 (the
 * same or two different clients). A key is transferred when it is missing at the target, its size differs, or
 * the source is newer (to the second); `sizeOnly`, `exactTimestamps` and `compareContent` change the rule. With
 * `delete`, what exists only at the target is deleted afterwards, and not at all when anything failed. Downloads
 * set each file's mtime to the object's LastModified, so a second sync transfers nothing; an interrupted sync,
 * run again, transfers only the rest.
 *
 * Emits {@link BulkEvent}s: per-object events, progress ticks, then one summary; then completes. Both sides are
 * streamed in key order and merged, so memory stays flat whatever their size.
 */
export function sync(ctx: ClientContext, options: SyncOptions): Observable<Result<BulkEvent, S3Error>> {
  return bulkJob(ctx, 'sync', options.from, options.to, { compare: true, move: false }, options);
}
