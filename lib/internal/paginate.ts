import { Observable } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { s3Error, toS3Error, type ErrorContext, type S3Error } from '../errors';

/** One answer of a paged API: the raw page, and the token of the next page if there is one. */
export interface PageStep<TRaw> {
  readonly raw: TRaw;
  /** The token for the next request; undefined on the last page. */
  readonly next: string | undefined;
}

/**
 * The one paging loop of rx-s3: a cold `Observable` that emits one `Ok(page)` per page, lazily.
 *
 * - The first request is sent on subscribe; each next request only after the previous page was delivered to the
 *   subscriber (`next()` returned) and only if the subscriber is still there, so `take(1)` sends one request.
 * - Unsubscribing aborts the request in flight; nothing is emitted afterwards.
 * - A failure is one `Err` then completion. A continuation token the server already sent ends the stream with an
 *   `Err` of kind `ServiceError` instead of looping forever.
 */
export function paginate<TRaw, TPage>(
  context: ErrorContext,
  fetchPage: (token: string | undefined, signal: AbortSignal) => Promise<PageStep<TRaw>>,
  toPage: (raw: TRaw, pageNumber: number, isLast: boolean) => TPage,
): Observable<Result<TPage, S3Error>> {
  return new Observable<Result<TPage, S3Error>>((subscriber) => {
    const controller = new AbortController();
    const seen = new Set<string>();
    const loop = async (): Promise<void> => {
      let token: string | undefined;
      for (let pageNumber = 1; ; pageNumber += 1) {
        const { raw, next } = await fetchPage(token, controller.signal);
        if (subscriber.closed) return;
        subscriber.next(Ok(toPage(raw, pageNumber, next === undefined)));
        if (next === undefined) {
          subscriber.complete();
          return;
        }
        if (subscriber.closed) return;
        if (seen.has(next)) {
          const message = `the server sent continuation token ${JSON.stringify(next)} twice; stopping instead of looping`;
          subscriber.next(Err(s3Error('ServiceError', context, message)));
          subscriber.complete();
          return;
        }
        seen.add(next);
        token = next;
      }
    };
    loop().catch((cause: unknown) => {
      if (subscriber.closed) return;
      subscriber.next(Err(toS3Error(cause, context)));
      subscriber.complete();
    });
    return () => controller.abort();
  });
}
