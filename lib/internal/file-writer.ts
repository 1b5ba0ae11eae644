import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Writes are batched to at least this many bytes: small writes cost more than the network on this path. */
const BATCH = 1024 * 1024;

/**
 * Streams `body` into `handle` from `position` on, in batches of about 1 MiB written with `writev` (no copying),
 * with one write in flight while the next batch arrives. `onBytes` sees every chunk as it arrives. Resolves with
 * the position after the last byte written.
 */
export async function writeAt(handle: FileHandle, body: Readable, position: number, onBytes: (bytes: number) => void): Promise<number> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let next = position;
  let writing: Promise<void> = Promise.resolve();
  const flush = async (): Promise<void> => {
    const buffers = batch;
    const at = next;
    next += batchBytes;
    batch = [];
    batchBytes = 0;
    await writing;
    writing = writeAll(handle, buffers, at);
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      onBytes(chunk.length);
      batch.push(chunk);
      batchBytes += chunk.length;
      if (batchBytes >= BATCH) await flush();
    }
    if (batchBytes > 0) await flush();
  } finally {
    await writing.catch(() => undefined);
  }
  await writing;
  return next;
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
