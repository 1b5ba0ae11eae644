import { Observable } from 'rxjs';
import { Err, type Result } from 'ts-results';
import { s3Error, type ErrorContext, type S3Error } from '../errors';
import { callerScope, withCallTimeouts, type TimeoutOptions } from './timeouts';

/** The `Err` of an operation whose deadline passed (the one wording, for {@link fromWork} and {@link withTimeouts}). */
export function deadlineError(context: ErrorContext, deadlineMs: number): S3Error {
  return s3Error('Timeout', context, `the operation did not finish within its deadline of ${deadlineMs} ms`);
}

/**
 * Applies a call's `timeouts` to an operation composed of other operations (a move, a walk, `forEachObject`, a
 * bulk job), which are not built on `fromWork` as a whole:
 *
 * - connect and idle timeouts: every request sent by the operations started inside (now or later, from their
 *   async continuations) gets them, unless one of those sets its own;
 * - the deadline: when it passes, the operation is unsubscribed (which aborts every request and starts the
 *   clean-ups of what it held, tracked by the client's `flushCleanups()`), and the stream emits one `Err` of kind
 *   `Timeout`, then completes. Never an `error` notification.
 *
 * Values are emitted in the subscriber's own scope, so an operation started from `next` does not inherit them.
 */
export function withTimeouts<T>(
  timeouts: TimeoutOptions | undefined,
  context: ErrorContext,
  source$: Observable<Result<T, S3Error>>,
): Observable<Result<T, S3Error>> {
  if (timeouts === undefined) return source$;
  return new Observable<Result<T, S3Error>>((subscriber) => {
    const inCallerScope = callerScope();
    const subscription = withCallTimeouts(timeouts, () =>
      source$.subscribe({
        next: (result) => inCallerScope(() => subscriber.next(result)),
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
    const deadlineMs = timeouts.deadlineMs;
    const deadline =
      deadlineMs === undefined || deadlineMs <= 0 || subscription.closed
        ? undefined
        : setTimeout(() => {
            subscription.unsubscribe();
            subscriber.next(Err(deadlineError(context, deadlineMs)));
            subscriber.complete();
          }, deadlineMs);
    return () => {
      if (deadline !== undefined) clearTimeout(deadline);
      subscription.unsubscribe();
    };
  });
}
