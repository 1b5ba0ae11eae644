import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { s3Error, type ErrorContext } from '../errors';

/** Writes are batched to at least this many bytes: small writes cost more than the network on this path. */
const BATCH = 1024 * 1024;

/** Where a {@link writeAt} stands: every byte before `position` is written to the file. */
export interface WriteCursor {
  position: number;
}

/**
 * Streams `body` into `handle` from `cursor.position` up to `end` (exclusive), in batches of about 1 MiB written
 * with `writev` (no copying), with one write in flight while the next batch arrives. `onBytes` sees every chunk as
 * it arrives (each of them is written, in order, unless a write fails).
 *
 * `cursor.position` always says how far the file is written. When the body fails (a reset, a stall, a truncation),
 * the bytes already received are written first and only then the body's failure is thrown: a retry resumes at
 * `cursor.position`, which is exactly the bytes `onBytes` counted. A failed write (disk full) destroys the body
 * and is thrown with `path` (so it reads as a `LocalFile` failure), never left as an unhandled rejection.
 */
export async function writeAt(
  handle: FileHandle,
  path: string,
  body: Readable,
  cursor: WriteCursor,
  end: number,
  onBytes: (bytes: number, chunk: Buffer) => void,
  context: ErrorContext,
): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let queued = cursor.position;
  let writing: Promise<void> = Promise.resolve();
  let writeFailure: { cause: unknown } | undefined;
  const flush = async (): Promise<void> => {
    await writing;
    if (batchBytes === 0) return;
    const buffers = batch;
    const at = queued;
    const size = batchBytes;
    queued += size;
    batch = [];
    batchBytes = 0;
    writing = writeAll(handle, buffers, at).then(
      () => {
        cursor.position = at + size;
      },
      (cause: unknown) => {
        if (typeof cause === 'object' && cause !== null && !('path' in cause)) Object.assign(cause, { path });
        // Handled here, at once: a failed write stops the body and is thrown where the loop next waits.
        writeFailure ??= { cause };
        body.destroy();
      },
    );
  };
  let bodyFailure: { cause: unknown } | undefined;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (queued + batchBytes + chunk.length > end) throw s3Error('Integrity', context, `the server sent more than the ${end - cursor.position} bytes asked for`);
      onBytes(chunk.length, chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH) await flush();
      if (writeFailure !== undefined) break;
    }
  } catch (cause) {
    bodyFailure = { cause };
  }
  if (writeFailure === undefined) await flush(); // what arrived is kept, also when the body broke off
  await writing;
  if (writeFailure !== undefined) throw writeFailure.cause;
  if (bodyFailure !== undefined) throw bodyFailure.cause;
}

async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    pending = dropBytes(pending, bytesWritten);
  }
}

/** The buffers left after the first `count` bytes were written (a short write is rare, but possible). */
function dropBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
    } else {
      rest.push(left > 0 ? buffer.subarray(left) : buffer);
      left = 0;
    }
  }
  return rest;
}
