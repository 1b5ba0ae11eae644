import { of, type Observable } from 'rxjs';
import { Err, type Result } from 'ts-results';
import type { ErrorContext, S3Error } from '../errors';
import type { TimeoutOptions } from './timeouts';
import { fromWork } from './work';

/**
 * The one wrapper that turns a request into a cold, cancellable `Observable<Result<T, S3Error>>` (a thin layer
 * over {@link fromWork}, the builder under every operation).
 *
 * - Nothing runs before subscribe; each subscriber gets its own `AbortController` and its own request.
 * - It emits `Ok(value)` then completes, or `Err(S3Error)` then completes; a failure is never an `error`
 *   notification. With `timeouts.deadlineMs`, a request still running then is aborted and the `Err` is `Timeout`.
 * - Unsubscribing before the request settled aborts it, and nothing is emitted afterwards. A value that arrives
 *   after the subscriber left is handed to `discard` (e.g. to destroy a response body, so no socket leaks).
 */
export function fromRequest<T>(
  context: ErrorContext,
  run: (signal: AbortSignal) => Promise<T>,
  discard?: (value: T) => void,
  timeouts?: TimeoutOptions,
): Observable<Result<T, S3Error>> {
  return fromWork<T>({ context, timeouts, discard }, async ({ signal }) => ({ value: await run(signal) }));
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
