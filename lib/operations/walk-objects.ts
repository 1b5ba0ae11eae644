import { concatMap, defer, map, Observable, of, take, type Subscription } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { s3Error, type S3Error } from '../errors';
import type { KeyRange, ObjectPage, ObjectSummary, WalkPage } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { compareKeys } from '../internal/key-order';
import { withTimeouts } from '../internal/deadline';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';
import { checkBucket, checkCount, firstProblem } from '../internal/validate';
import { cutKeyRanges } from './key-ranges';
import { listObjects } from './list-objects';
import { sampleKeySpace } from './sample-key-space';

/**
 * Options of `walkObjects`.
 *
 * @example
 * ```ts
 * rx.walkObjects('logs', { prefix: '2026/', split: 'prefixes', concurrency: 8 });         // one listing per "directory"
 * rx.walkObjects('logs', { prefix: '2026/', split: 'ranges', ranges: 32, ordered: true }); // 32 sampled key ranges, in key order
 * ```
 */
export interface WalkObjectsOptions extends CallOptions {
  /** Only keys that start with this. */
  readonly prefix?: string;
  /**
   * How the key space is split into listings: `'prefixes'` (default) lists the top level under `prefix` with
   * `delimiter` and walks each common prefix in a listing of its own; `'ranges'` cuts the keys into `ranges` key
   * ranges (see `cutKeyRanges`) and lists each range.
   */
  readonly split?: 'prefixes' | 'ranges';
  /** For `split: 'prefixes'`: the delimiter of the top level. Default `/`. */
  readonly delimiter?: string;
  /**
   * For `split: 'ranges'`: how many ranges to cut from a `sampleKeySpace` sample (default 4 × `concurrency`), or
   * the ranges themselves (e.g. cut from a sample you have).
   */
  readonly ranges?: number | readonly KeyRange[];
  /** Listing requests in flight at once: 1 to 1,000. Default 8. */
  readonly concurrency?: number;
  /**
   * Emit pages in key order (default: as they arrive). Listings ahead of the one being emitted fetch at most two
   * pages each, then wait, so memory stays bounded either way.
   */
  readonly ordered?: boolean;
  /** Keys per request: 1 to 1,000. Default 1,000. */
  readonly pageSize?: number;
}

/** A listing of the walk (or, for objects found at the top level, a page already in hand). */
interface Part {
  readonly spec: WalkPage['part'];
  /** Where the next request resumes; undefined before the first. */
  token: string | undefined;
  done: boolean;
  fetching: boolean;
  readonly pages: WalkPage[];
}

/** Pages a listing may hold ahead of the one being emitted, in ordered mode. */
const AHEAD = 2;

/**
 * Walks every object under a prefix with several listings in flight: one `Ok(WalkPage)` per page of each listing,
 * then completes. Together the pages hold exactly the keys a sequential `listObjects` (without delimiter) gives,
 * each once; by default in the order they arrive, with `ordered: true` in key order. The first failure is one
 * `Err`, then the walk completes (no partial result looks complete); unsubscribing aborts every request in flight.
 *
 * Demand-driven: at most `concurrency` requests are in flight, a listing asks for its next page only after its
 * previous one was emitted (or, in ordered mode, while it holds fewer than two), and the top level (or the sample)
 * is read only as far as the listings need, so memory stays at a few pages per listing in flight whatever the
 * bucket's size. Each page is one ListObjectsV2 request resumed after the previous page (`resume`), not a
 * continuation token, so a request can go to any listing at any time.
 */
export function walkObjects(ctx: ClientContext, bucket: string, options: WalkObjectsOptions = {}): Observable<Result<WalkPage, S3Error>> {
  const context = { operation: 'walkObjects', bucket };
  const concurrency = options.concurrency ?? 8;
  const ranges = options.ranges ?? concurrency * 4;
  const split = options.split ?? 'prefixes';
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkCount(concurrency, 'concurrency', context, 1, 1000),
    options.pageSize === undefined ? undefined : checkCount(options.pageSize, 'pageSize', context, 1, 1000),
    typeof ranges === 'number' ? checkCount(ranges, 'ranges', context, 1, 10_000) : undefined,
    split === 'prefixes' || split === 'ranges' ? undefined : s3Error('InvalidInput', context, `split must be 'prefixes' or 'ranges', got ${JSON.stringify(split)}`),
    options.delimiter === '' ? s3Error('InvalidInput', context, 'delimiter must not be empty') : undefined,
    checkTimeouts(options.timeouts, context),
  );
  const prefix = options.prefix === '' ? undefined : options.prefix;
  const walk = (top: Part | undefined, parts: Part[]): Observable<Result<WalkPage, S3Error>> =>
    schedule(ctx, bucket, prefix, options.delimiter ?? '/', top, parts, concurrency, options.ordered === true, options.pageSize);
  const listing = (spec: WalkPage['part']): Part => ({ spec, token: undefined, done: false, fetching: false, pages: [] });
  return unlessInvalid(problem, () => withTimeouts(options.timeouts, context, defer((): Observable<Result<WalkPage, S3Error>> => {
    if (split === 'prefixes') return new Observable((subscriber) => walk(listing({ prefix }), []).subscribe(subscriber));
    if (typeof ranges !== 'number') return new Observable((subscriber) => walk(undefined, ranges.map((r) => listing({ prefix, ...r }))).subscribe(subscriber));
    return sampleKeySpace(ctx, bucket, { prefix }).pipe(
      concatMap((sample) => (sample.err ? of(Err({ ...sample.val, operation: 'walkObjects' })) : walk(undefined, cutKeyRanges(sample.val.points, ranges).map((r) => listing({ prefix, ...r }))))),
    );
  })));
}

/**
 * The scheduler: issues one-page requests to the listings (and to the top level, which adds listings) while fewer
 * than `concurrency` are in flight, and emits their pages.
 */
function schedule(
  ctx: ClientContext,
  bucket: string,
  prefix: string | undefined,
  delimiter: string,
  top: Part | undefined,
  parts: Part[],
  concurrency: number,
  ordered: boolean,
  pageSize: number | undefined,
): Observable<Result<WalkPage, S3Error>> {
  return new Observable((subscriber) => {
    const requests = new Set<Subscription>();
    let head = 0; // ordered: the first part not emitted in full
    let stopped = false;

    const fetch = (part: Part, isTop: boolean): void => {
      part.fetching = true;
      const options = isTop
        ? { prefix, delimiter, pageSize, resume: part.token }
        : { prefix: part.spec.prefix, pageSize, resume: part.token, startAfter: part.spec.startAfter, endBefore: part.spec.endBefore };
      let request: Subscription | undefined;
      let settled = false;
      request = listObjects(ctx, bucket, options)
        .pipe(take(1), map((r): Result<ObjectPage, S3Error> => r))
        .subscribe({
          next: (result) => {
            settled = true;
            if (request !== undefined) requests.delete(request);
            part.fetching = false;
            if (result.err) return stop(Err({ ...result.val, operation: 'walkObjects' }));
            const page = result.val;
            part.token = page.resumeToken;
            part.done = page.isLast;
            if (isTop) addTopLevel(page);
            else part.pages.push({ bucket, prefix, part: part.spec, objects: page.objects });
            pump();
          },
        });
      if (!settled) requests.add(request);
    };

    /** A top-level page: its objects are a part already in hand; each common prefix, a listing. */
    const addTopLevel = (page: ObjectPage): void => {
      const byKey: Array<{ objects: ObjectSummary[] } | { prefix: string }> = [];
      let o = 0;
      let p = 0;
      while (o < page.objects.length || p < page.commonPrefixes.length) {
        const object = page.objects[o];
        const common = page.commonPrefixes[p];
        if (object !== undefined && (common === undefined || compareKeys(object.key, common) < 0)) {
          const last = byKey.at(-1);
          if (last !== undefined && 'objects' in last) last.objects.push(object);
          else byKey.push({ objects: [object] });
          o += 1;
        } else if (common !== undefined) {
          byKey.push({ prefix: common });
          p += 1;
        }
      }
      for (const item of byKey) {
        if ('prefix' in item) parts.push({ spec: { prefix: item.prefix }, token: undefined, done: false, fetching: false, pages: [] });
        else parts.push({ spec: { prefix }, token: undefined, done: true, fetching: false, pages: [{ bucket, prefix, part: { prefix }, objects: item.objects }] });
      }
    };

    const stop = (last: Result<WalkPage, S3Error>): void => {
      stopped = true;
      for (const request of requests) request.unsubscribe();
      requests.clear();
      subscriber.next(last);
      subscriber.complete();
    };

    const emit = (page: WalkPage): boolean => {
      subscriber.next(Ok(page));
      return !subscriber.closed && !stopped;
    };

    const pump = (): void => {
      if (stopped || subscriber.closed) return;
      // Emit what may be emitted.
      if (ordered) {
        while (head < parts.length) {
          const part = parts[head]!;
          while (part.pages.length > 0) if (!emit(part.pages.shift()!)) return;
          if (!part.done) break;
          head += 1;
        }
      } else {
        for (const part of parts) while (part.pages.length > 0) if (!emit(part.pages.shift()!)) return;
      }
      // Forget finished parts (unordered: any; ordered: those already passed).
      const finished = ordered ? head : 0;
      if (finished > 0) {
        parts.splice(0, finished);
        head = 0;
      }
      if (!ordered) for (let i = parts.length - 1; i >= 0; i -= 1) if (parts[i]!.done && parts[i]!.pages.length === 0) parts.splice(i, 1);
      // Ask for more, nearest first, while requests are free.
      let inFlight = requests.size;
      for (const [distance, part] of parts.entries()) {
        // Ordered: only the next `concurrency` listings read ahead, so memory stays at AHEAD pages each.
        if (inFlight >= concurrency || (ordered && distance >= concurrency)) break;
        if (part.done || part.fetching || part.pages.length >= (ordered ? AHEAD : 1)) continue;
        fetch(part, false);
        inFlight += 1;
      }
      const open = parts.filter((part) => !part.done).length;
      if (top !== undefined && !top.done && !top.fetching && inFlight < concurrency && open < concurrency) {
        fetch(top, true);
        inFlight += 1;
      }
      if (parts.length === 0 && (top === undefined || top.done) && requests.size === 0 && !anyFetching()) subscriber.complete();
    };
    const anyFetching = (): boolean => top?.fetching === true || parts.some((part) => part.fetching);

    pump();
    return () => {
      stopped = true;
      for (const request of requests) request.unsubscribe();
      requests.clear();
    };
  });
}
