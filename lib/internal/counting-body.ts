import { Readable } from 'node:stream';
import type { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { PartCounter } from './progress';

/** Slices a request body is handed to the socket in; progress moves at this grain. */
const SLICE = 256 * 1024;

const counters = new WeakMap<object, PartCounter>();

/** The counter `countRequestBody` gave a command: the lean data plane counts the body it sends with it. */
export function requestBodyCounter(command: object): PartCounter | undefined {
  return counters.get(command);
}

/** Slices a request body is handed to the socket in, by either path. */
export const BODY_SLICE = SLICE;

/**
 * Makes the byte progress of a request body observable while it is sent: a middleware that, on every attempt
 * (it sits below the SDK's retry and signing steps), replaces an in-memory body by a stream of slices of it that
 * counts what the HTTP layer reads. The SDK still signs and retries the in-memory body as usual.
 */
export function countRequestBody(command: PutObjectCommand | UploadPartCommand, counter: PartCounter): void {
  counters.set(command, counter);
  (command as UploadPartCommand).middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { body?: unknown };
      const body = request.body;
      if (body instanceof Uint8Array && body.length > 0) {
        counter.newAttempt();
        request.body = slices(body, counter);
        try {
          return await next(args);
        } finally {
          request.body = body; // a retry starts again from the bytes, not from a consumed stream
        }
      }
      return next(args);
    },
    { step: 'deserialize', priority: 'low', name: 'rxS3CountRequestBody' },
  );
}

function slices(body: Uint8Array, counter: PartCounter): Readable {
  let offset = 0;
  return new Readable({
    highWaterMark: SLICE,
    read() {
      if (offset >= body.length) {
        this.push(null);
        return;
      }
      const end = Math.min(offset + SLICE, body.length);
      const slice = body.subarray(offset, end);
      offset = end;
      counter.add(slice.length);
      this.push(slice);
    },
  });
}
