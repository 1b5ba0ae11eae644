import type { Readable } from 'node:stream';
import { s3Error, type ErrorContext, type S3Error } from '../errors';

/**
 * A stream body as operations take it: a `Readable` (read once: a second subscription is refused) or a function
 * that makes a fresh one per subscription (so the Observable is truly cold and can be retried).
 */
export type StreamInput = Readable | (() => Readable);

const isReadable = (value: unknown): value is Readable =>
  typeof value === 'object' && value !== null && typeof (value as Readable)[Symbol.asyncIterator] === 'function' && typeof (value as Readable).destroy === 'function';

/** `InvalidInput` unless `input` is a Readable or a function. */
export function checkStreamInput(input: unknown, name: string, context: ErrorContext): S3Error | undefined {
  return typeof input === 'function' || isReadable(input) ? undefined : s3Error('InvalidInput', context, `${name} must be a Node Readable or a function returning one`);
}

/**
 * What each subscription calls to get its stream: the factory's new stream, or the given `Readable` for the first
 * subscription only. A stream already read, ended or destroyed (by an earlier subscription, or before) is refused
 * with `InvalidInput` instead of silently uploading nothing.
 */
export function streamOpener(input: StreamInput, context: ErrorContext): () => Readable {
  let used = false;
  return () => {
    if (typeof input === 'function') {
      const made = input();
      if (!isReadable(made)) throw s3Error('InvalidInput', context, 'the stream factory must return a Node Readable');
      return made;
    }
    if (used || input.destroyed || input.readableEnded) {
      throw s3Error('InvalidInput', context, 'this Readable was already consumed (by an earlier subscription?); pass a () => Readable factory to subscribe more than once');
    }
    used = true;
    return input;
  };
}
