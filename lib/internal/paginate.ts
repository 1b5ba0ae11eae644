import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import { s3Error, type ErrorContext, type S3Error } from '../errors';
import type { TimeoutOptions } from './timeouts';
import { fromWork } from './work';

/** One answer of a paged API: the raw page, and the token of the next page if there is one. */
export interface PageStep<TRaw> {
  readonly raw: TRaw;
  /** The token for the next request; undefined on the last page. */
  readonly next: string | undefined;
}

/**
 * The one paging loop of rx-s3: a cold `Observable` that emits one `Ok(page)` per page, lazily (a layer over
 * {@link fromWork}).
 *
 * - The first request is sent on subscribe; each next request only after the previous page was delivered to the
 *   subscriber (`next()` returned) and only if the subscriber is still there, so `take(1)` sends one request.
 * - Unsubscribing aborts the request in flight; nothing is emitted afterwards.
 * - A failure is one `Err` then completion. A continuation token the server already sent ends the stream with an
 *   `Err` of kind `ServiceError` instead of looping forever. `timeouts.deadlineMs` bounds the whole listing.
 */
export function paginate<TRaw, TPage>(
  context: ErrorContext,
  fetchPage: (token: string | undefined, signal: AbortSignal) => Promise<PageStep<TRaw>>,
  toPage: (raw: TRaw, pageNumber: number, isLast: boolean) => TPage,
  timeouts?: TimeoutOptions,
): Observable<Result<TPage, S3Error>> {
  return fromWork<TPage>({ context, timeouts }, async ({ signal, emit, closed }) => {
    const seen = new Set<string>();
    let token: string | undefined;
    for (let pageNumber = 1; ; pageNumber += 1) {
      const { raw, next } = await fetchPage(token, signal);
      if (!emit(toPage(raw, pageNumber, next === undefined))) return;
      if (next === undefined || closed()) return;
      if (seen.has(next)) {
        throw s3Error('ServiceError', context, `the server sent continuation token ${JSON.stringify(next)} twice; stopping instead of looping`);
      }
      seen.add(next);
      token = next;
    }
  });
}
