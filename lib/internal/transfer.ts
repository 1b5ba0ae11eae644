import { defer, type Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { ErrorContext, S3Error } from '../errors';
import type { TransferComplete, TransferProgress } from '../events';
import type { ClientContext } from './context';
import { ProgressMeter, type ProgressPolicy } from './progress';
import type { TimeoutOptions } from './timeouts';
import { fromWork, type WorkIO } from './work';

/**
 * What a transfer's body gets: the abort signal, the progress meter, a way to emit other events in order, and the
 * builder's `hold`/`onAbort` to register what it holds (see {@link WorkIO}).
 */
export interface TransferIO<X> extends Pick<WorkIO<X>, 'signal' | 'hold' | 'onAbort'> {
  readonly meter: ProgressMeter;
  readonly emit: (event: X) => void;
}

/** Optional settings of {@link fromTransfer}. */
export interface TransferSettings {
  /** Per-call timeouts and deadline. */
  readonly timeouts?: TimeoutOptions | undefined;
  /** Called once the transfer really ended (after its clean-up), even after an unsubscribe. */
  readonly settled?: (() => void) | undefined;
}

/**
 * The Observable shape of every transfer: progress ticks (and the transfer's own events), then one
 * `Ok({ kind: 'complete', output })`, or one `Err`; then completion. A layer over {@link fromWork}.
 *
 * `run` must leave nothing behind when it rejects (it aborts its multipart upload, deletes its temp file: itself or
 * through `hold`) and only then settle. On unsubscribe its signal is aborted; its clean-up still runs in the
 * background and is tracked in `ctx.cleanups`, while nothing more is emitted.
 *
 * `P` is the type of the ticks: `SizedTransferProgress` for a transfer whose `run` sets the meter's total
 * before `meter.start()` (the first tick), so every tick has a total and a percent.
 */
export function fromTransfer<O, X = never, P extends TransferProgress = TransferProgress>(
  ctx: ClientContext,
  context: ErrorContext,
  policy: ProgressPolicy,
  run: (io: TransferIO<X>) => Promise<O>,
  settings: TransferSettings = {},
): Observable<Result<P | X | TransferComplete<O>, S3Error>> {
  type Event = P | X | TransferComplete<O>;
  // One meter per subscription: `defer` runs this once per subscriber.
  return defer(() => {
  let meter: ProgressMeter | undefined;
  return fromWork<Event>(
    {
      context,
      timeouts: settings.timeouts,
      cleanups: ctx.cleanups,
      settled: settings.settled,
      succeeded: () => meter?.finish(),
    },
    async (io) => {
      const emit = (event: TransferProgress | X): void => {
        io.emit(event as P | X);
      };
      const own = new ProgressMeter(undefined, emit, policy);
      meter = own;
      io.onAbort(() => own.stop());
      let output: O;
      try {
        output = await run({ signal: io.signal, meter: own, emit, hold: io.hold, onAbort: io.onAbort });
      } catch (cause) {
        own.stop(); // no tick after a failure
        throw cause;
      }
      return { value: { kind: 'complete', output } };
    },
  );
  });
}

/** Resolves the progress policy from a transfer's `progressInterval` option. */
export function progressPolicy(progressInterval: number | undefined): ProgressPolicy {
  return { intervalMs: progressInterval ?? 100, minFraction: progressInterval === 0 ? 0 : 0.01 };
}
