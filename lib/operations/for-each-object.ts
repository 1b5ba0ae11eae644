import { from, Observable, take, type ObservableInput, type Subscription } from 'rxjs';
import { Err, type Result } from 'ts-results';
import { toS3Error, type S3Error } from '../errors';
import type { ObjectSummary } from '../events';
import type { ClientContext } from '../internal/context';
import { unlessInvalid } from '../internal/from-command';
import { withTimeouts } from '../internal/deadline';
import { checkTimeouts } from '../internal/timeouts';
import { checkBucket, checkCount, firstProblem } from '../internal/validate';
import { listObjects, type ListObjectsOptions } from './list-objects';

/**
 * Options of `forEachObject`: which keys (as for `listObjects`, without `delimiter`) and how much work at once.
 *
 * @example
 * ```ts
 * rx.forEachObject('logs', (o) => rx.deleteObject('logs', o.key), { prefix: '2025/', concurrency: 16 });
 * ```
 */
export interface ForEachObjectOptions extends Omit<ListObjectsOptions, 'delimiter'> {
  /** Calls of `work` running at once: 1 to 10,000. Default 8. */
  readonly concurrency?: number;
  /**
   * The next page is requested when fewer than this many keys are in hand (waiting or being worked on); default
   * `pageSize` (1,000), so at most about two pages are held. 1 to 100,000.
   */
  readonly refillBelow?: number;
}

/**
 * Runs `work` on every object of a listing, with at most `concurrency` calls at once, and emits what the calls
 * emit (in completion order), then completes. **Demand follows the work**: the next page is requested only when
 * the keys in hand (waiting or in work) drop below `refillBelow`, so however large the bucket and however slow
 * the work, at most about two pages of keys are held.
 *
 * `work` returns an Observable (any rx-s3 operation) or a promise of `Result` values; its `Err`s pass through
 * like its `Ok`s and the walk goes on; a `work` that throws or errors becomes an `Err` too. A listing failure is
 * one `Err`, then the whole thing stops (work in flight is unsubscribed) and completes. Cold: nothing is listed
 * before subscribe; unsubscribing aborts the listing request and every call of `work` in flight.
 */
export function forEachObject<T>(
  ctx: ClientContext,
  bucket: string,
  work: (object: ObjectSummary) => ObservableInput<Result<T, S3Error>>,
  options: ForEachObjectOptions = {},
): Observable<Result<T, S3Error>> {
  const context = { operation: 'forEachObject', bucket };
  const concurrency = options.concurrency ?? 8;
  const refillBelow = options.refillBelow ?? options.pageSize ?? 1000;
  const problem = firstProblem(
    checkBucket(bucket, context),
    checkCount(concurrency, 'concurrency', context, 1, 10_000),
    checkCount(refillBelow, 'refillBelow', context, 1, 100_000),
    checkTimeouts(options.timeouts, context),
  );
  // The listing's pages are requests of the whole: the deadline bounds the whole (listing and work) once.
  const { concurrency: _c, refillBelow: _r, timeouts, ...listing } = options;
  return unlessInvalid(problem, () => withTimeouts(timeouts, context,
    new Observable<Result<T, S3Error>>((subscriber) => {
      const waiting: ObjectSummary[] = [];
      let next = 0; // index in `waiting` of the next key to work on
      const calls = new Set<Subscription>();
      let page: Subscription | undefined;
      let fetching = false;
      let listed = false;
      let resume = options.resume;

      const stop = (): void => {
        page?.unsubscribe();
        for (const call of calls) call.unsubscribe();
        calls.clear();
      };

      const start = (object: ObjectSummary): void => {
        let call: Subscription | undefined;
        let done = false;
        const finish = (): void => {
          done = true;
          if (call !== undefined) calls.delete(call);
          pump();
        };
        let input: ObservableInput<Result<T, S3Error>>;
        try {
          input = work(object);
        } catch (thrown) {
          subscriber.next(Err(toS3Error(thrown, { ...context, key: object.key })));
          return;
        }
        call = from(input).subscribe({
          next: (value) => subscriber.next(value),
          error: (cause: unknown) => {
            subscriber.next(Err(toS3Error(cause, { ...context, key: object.key })));
            finish();
          },
          complete: finish,
        });
        if (done) return;
        calls.add(call);
      };

      const fetch = (): void => {
        fetching = true;
        page = listObjects(ctx, bucket, { ...listing, resume })
          .pipe(take(1))
          .subscribe((result) => {
            fetching = false;
            if (result.err) {
              listed = true;
              stop();
              subscriber.next(Err({ ...result.val, operation: 'forEachObject' }));
              subscriber.complete();
              return;
            }
            resume = result.val.resumeToken;
            listed = result.val.isLast;
            waiting.splice(0, next);
            next = 0;
            waiting.push(...result.val.objects);
            pump();
          });
      };

      let pumping = false;
      const pump = (): void => {
        if (pumping || subscriber.closed) return;
        pumping = true;
        while (calls.size < concurrency && next < waiting.length && !subscriber.closed) start(waiting[next++]!);
        pumping = false;
        if (subscriber.closed) return;
        const inHand = waiting.length - next + calls.size;
        if (!listed && !fetching && inHand < refillBelow) fetch();
        else if (listed && !fetching && next === waiting.length && calls.size === 0) subscriber.complete();
      };

      pump();
      return stop;
    })),
  );
}
