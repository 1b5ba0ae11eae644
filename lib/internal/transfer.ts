import { Observable } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { toS3Error, type ErrorContext, type S3Error } from '../errors';
import type { TransferComplete, TransferProgress } from '../events';
import type { ClientContext } from './context';
import { ProgressMeter, type ProgressPolicy } from './progress';

/** What a transfer's body gets: the abort signal, the progress meter, and a way to emit other events in order. */
export interface TransferIO<X> {
  readonly signal: AbortSignal;
  readonly meter: ProgressMeter;
  readonly emit: (event: X) => void;
}

/**
 * The Observable shape of every transfer: progress ticks (and the transfer's own events), then one
 * `Ok({ kind: 'complete', output })`, or one `Err`; then completion.
 *
 * `run` must leave nothing behind when it rejects (it aborts its multipart upload, deletes its temp file) and only
 * then settle. On unsubscribe its signal is aborted; its clean-up still runs in the background and is tracked in
 * `ctx.cleanups`, while nothing more is emitted.
 *
 * `P` is the type of the ticks: `SizedTransferProgress` for a transfer whose `run` sets the meter's total
 * before `meter.start()` (the first tick), so every tick has a total and a percent.
 */
export function fromTransfer<O, X = never, P extends TransferProgress = TransferProgress>(
  ctx: ClientContext,
  context: ErrorContext,
  policy: ProgressPolicy,
  run: (io: TransferIO<X>) => Promise<O>,
): Observable<Result<P | X | TransferComplete<O>, S3Error>> {
  return new Observable<Result<P | X | TransferComplete<O>, S3Error>>((subscriber) => {
    const controller = new AbortController();
    const emit = (event: TransferProgress | X): void => {
      if (!subscriber.closed) subscriber.next(Ok(event as P | X));
    };
    const meter = new ProgressMeter(undefined, emit, policy);
    let settled = false;
    const work = new Promise<O>((resolve) => resolve(run({ signal: controller.signal, meter, emit })));
    ctx.cleanups.track(work);
    work.then(
      (output) => {
        settled = true;
        meter.finish();
        if (subscriber.closed) return;
        subscriber.next(Ok({ kind: 'complete', output }));
        subscriber.complete();
      },
      (cause: unknown) => {
        settled = true;
        meter.stop();
        if (subscriber.closed) return;
        subscriber.next(Err(toS3Error(cause, context)));
        subscriber.complete();
      },
    );
    return () => {
      meter.stop();
      if (!settled) controller.abort();
    };
  });
}

/** Resolves the progress policy from a transfer's `progressInterval` option. */
export function progressPolicy(progressInterval: number | undefined): ProgressPolicy {
  return { intervalMs: progressInterval ?? 100, minFraction: progressInterval === 0 ? 0 : 0.01 };
}
