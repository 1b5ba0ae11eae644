import { Observable, of } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { toS3Error, type ErrorContext, type S3Error } from '../errors';

/**
 * The one wrapper that turns a request into a cold, cancellable `Observable<Result<T, S3Error>>`.
 *
 * - Nothing runs before subscribe; each subscriber gets its own `AbortController` and its own request.
 * - It emits `Ok(value)` then completes, or `Err(S3Error)` then completes; a failure is never an `error`
 *   notification.
 * - Unsubscribing before the request settled aborts it, and nothing is emitted afterwards. A value that arrives
 *   after the subscriber left is handed to `discard` (e.g. to destroy a response body, so no socket leaks).
 */
export function fromRequest<T>(
  context: ErrorContext,
  run: (signal: AbortSignal) => Promise<T>,
  discard?: (value: T) => void,
): Observable<Result<T, S3Error>> {
  return new Observable<Result<T, S3Error>>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    const finish = (result: Result<T, S3Error>): void => {
      settled = true;
      if (subscriber.closed) return;
      subscriber.next(result);
      subscriber.complete();
    };
    let promise: Promise<T>;
    try {
      promise = run(controller.signal);
    } catch (thrown) {
      promise = Promise.reject(thrown);
    }
    promise.then(
      (value) => {
        if (subscriber.closed) {
          settled = true;
          discard?.(value);
          return;
        }
        finish(Ok(value));
      },
      (cause: unknown) => finish(Err(toS3Error(cause, context))),
    );
    // After the answer arrived, aborting would destroy a body the subscriber may still be reading.
    return () => {
      if (!settled) controller.abort();
    };
  });
}

/**
 * Runs `make` only when there is no problem; otherwise the problem is the one `Err`, then complete, and no
 * request is sent.
 */
export function unlessInvalid<T>(
  problem: S3Error | undefined,
  make: () => Observable<Result<T, S3Error>>,
): Observable<Result<T, S3Error>> {
  return problem === undefined ? make() : of(Err(problem));
}
