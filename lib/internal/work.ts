import { Observable } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { s3Error, toS3Error, type ErrorContext, type S3Error } from '../errors';
import { deadlineError } from './deadline';
import type { Cleanups } from './cleanups';
import { callerScope, withCallTimeouts, type TimeoutOptions } from './timeouts';

/** What the work of an operation gets from {@link fromWork}. */
export interface WorkIO<V> {
  /** Aborted on unsubscribe and when the deadline passes. */
  readonly signal: AbortSignal;
  /** Emits `Ok(value)` now; false (and nothing emitted) once the subscriber left. */
  readonly emit: (value: V) => boolean;
  /** True once the subscriber left. */
  readonly closed: () => boolean;
  /**
   * Registers something the work holds (a file handle, a temp file, a multipart upload, a stream): `release`
   * runs once, when the work settles (success, failure, unsubscribe or deadline), after the work's own promise
   * settled, in reverse order of registration, and before the final `Ok`/`Err` is emitted. A release that throws
   * adds its message to the `Err`. The returned function forgets the registration without releasing (the work
   * handed the resource on, e.g. renamed the temp file into place).
   */
  readonly hold: (release: () => unknown) => () => void;
  /** Runs `stop` as soon as the signal aborts (to unblock a read that would wait for ever); never after settle. */
  readonly onAbort: (stop: (reason: unknown) => void) => void;
}

/** The value a work ends with, emitted after its releases: `{ value }`. */
export interface Last<V> {
  readonly value: V;
}

/** How {@link fromWork} runs one subscription. */
export interface WorkOptions<V = unknown> {
  /** Where a failure happened, for the `Err`. */
  readonly context: ErrorContext;
  /** Per-call connect and idle timeouts (over the client's), and the operation's deadline. */
  readonly timeouts?: TimeoutOptions | undefined;
  /** Clean-ups that outlive their subscriber are tracked here (`rx.flushCleanups()` waits for them). */
  readonly cleanups?: Cleanups | undefined;
  /** Called once the work really ended (its releases included), whether or not the subscriber is still there. */
  readonly settled?: (() => void) | undefined;
  /** Called once the work ended without failure, before its last value (e.g. to emit the last progress tick). */
  readonly succeeded?: (() => void) | undefined;
  /** Gets the work's last value when the subscriber left before it could be emitted (e.g. to destroy a body). */
  readonly discard?: ((value: V) => void) | undefined;
}

/**
 * The one Observable builder of rx-s3: `fromRequest`, `fromTransfer` and `paginate` are thin layers over it.
 *
 * - Cold: nothing runs before subscribe; each subscriber gets its own `AbortController`, checked before any
 *   listener is added.
 * - `run` emits through `io.emit`; the `last` value it resolves with (if any) is emitted last, once what it
 *   held was released, then the stream completes; when it rejects, one `Err` then completion. A failure is never
 *   an `error` notification.
 * - Unsubscribing aborts the signal; the work then settles in the background (tracked in `cleanups`), releases
 *   what it registered with `io.hold`, and nothing more is emitted.
 * - With a deadline (`timeouts.deadlineMs`), the signal is aborted when it passes; once the work settled and
 *   released everything, the stream emits one `Err` of kind `Timeout`.
 */
export function fromWork<V>(options: WorkOptions<V>, run: (io: WorkIO<V>) => Promise<Last<V> | void>): Observable<Result<V, S3Error>> {
  return new Observable<Result<V, S3Error>>((subscriber) => {
    const controller = new AbortController();
    const { signal } = controller;
    const releases: Array<{ release: () => unknown } | undefined> = [];
    const stops: Array<(reason: unknown) => void> = [];
    let settled = false;
    let deadlinePassed = false;

    const onAbortSignal = (): void => {
      for (const stop of stops.splice(0)) stop(signal.reason);
    };
    signal.addEventListener('abort', onAbortSignal, { once: true });

    const deadlineMs = options.timeouts?.deadlineMs;
    const deadline =
      deadlineMs === undefined || deadlineMs <= 0
        ? undefined
        : setTimeout(() => {
            deadlinePassed = true;
            controller.abort(deadlineError(options.context, deadlineMs));
          }, deadlineMs);

    const inCallerScope = callerScope();
    const io: WorkIO<V> = {
      signal,
      emit: (value) => {
        if (subscriber.closed) return false;
        inCallerScope(() => subscriber.next(Ok(value)));
        return true;
      },
      closed: () => subscriber.closed,
      hold: (release) => {
        const entry = { release };
        releases.push(entry);
        return () => {
          const index = releases.indexOf(entry);
          if (index >= 0) releases[index] = undefined;
        };
      },
      onAbort: (stop) => {
        if (settled) return;
        if (signal.aborted) stop(signal.reason);
        else stops.push(stop);
      },
    };

    const releaseAll = async (): Promise<string[]> => {
      const problems: string[] = [];
      for (const entry of releases.splice(0).reverse()) {
        if (entry === undefined) continue;
        try {
          await entry.release();
        } catch (cause) {
          problems.push(toS3Error(cause, options.context).message);
        }
      }
      return problems;
    };

    let work: Promise<Last<V> | void>;
    try {
      work = withCallTimeouts(options.timeouts, () => run(io));
    } catch (thrown) {
      work = Promise.reject(thrown);
    }
    const done = work.then(
      async (value) => ({ ok: true as const, last: value === undefined ? undefined : value, problems: await releaseAll() }),
      async (cause: unknown) => ({ ok: false as const, cause, problems: await releaseAll() }),
    );
    const finished = done.then((outcome) => {
      settled = true;
      stops.length = 0;
      signal.removeEventListener('abort', onAbortSignal);
      if (deadline !== undefined) clearTimeout(deadline);
      options.settled?.();
      if (subscriber.closed) {
        if (outcome.ok && outcome.last !== undefined) options.discard?.(outcome.last.value);
        return;
      }
      if (deadlinePassed && !outcome.ok) {
        // A work that finished in the same instant its deadline passed keeps its result.
        subscriber.next(Err(signal.reason as S3Error));
      } else if (outcome.ok && outcome.problems.length === 0) {
        options.succeeded?.();
        if (outcome.last !== undefined) subscriber.next(Ok(outcome.last.value));
      } else {
        const error = outcome.ok
          ? s3Error('Unknown', options.context, outcome.problems.join('; '))
          : toS3Error(outcome.cause, options.context);
        subscriber.next(Err(outcome.problems.length === 0 || outcome.ok ? error : { ...error, message: `${error.message}; ${outcome.problems.join('; ')}` }));
      }
      subscriber.complete();
    });
    options.cleanups?.track(finished);
    return () => {
      if (!settled) controller.abort();
    };
  });
}
