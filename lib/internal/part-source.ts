import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { s3Error, type ErrorContext } from '../errors';
import { sharedBuffer } from './digest-workers';

/**
 * Where an upload's bytes come from, one part at a time. Reading is sequential; each part is a buffer taken from
 * the source's {@link PartBuffers}, to be handed back with `release` once its request settled.
 */
export interface PartSource {
  /** The total size, when known up front. */
  readonly size: number | undefined;
  /** The next `length` bytes (fewer only at the end), or undefined when there are no more. */
  next(length: number): Promise<Buffer | undefined>;
  /** Gives a part's buffer back for the next parts: only once no request can read it any more. */
  release(part: Buffer): void;
  close(): Promise<void>;
}

/**
 * A few part-sized buffers, reused: an upload holds at most `keep` (parts in flight plus the one being read)
 * instead of allocating, page-faulting and garbage-collecting a fresh buffer per part. This bounds memory at
 * about `partSize x (concurrency + 1)` and saves CPU. The memory is shared (`SharedArrayBuffer`) so that a digest
 * worker can hash a part where it lies (lib/internal/digest-workers.ts).
 */
export class PartBuffers {
  private readonly free: Buffer[] = [];

  constructor(private readonly keep: number) {}

  /** A buffer of exactly `length` bytes (a view of a pooled one when one is large enough). */
  take(length: number): Buffer {
    const index = this.free.findIndex((buffer) => buffer.length >= length);
    if (index < 0) return sharedBuffer(length);
    const [buffer] = this.free.splice(index, 1);
    return buffer!.subarray(0, length);
  }

  release(part: Buffer): void {
    // Every buffer handed out owns its whole (shared) memory, so the view can be widened again.
    const whole = Buffer.from(part.buffer, 0, part.buffer.byteLength);
    this.free.push(whole);
    // Part sizes only grow: keep the largest buffers.
    this.free.sort((a, b) => b.length - a.length);
    this.free.length = Math.min(this.free.length, this.keep);
  }
}

/** Parts read straight from a file at their offsets: one read into each part buffer, no copying. */
export function fileSource(handle: FileHandle, size: number, path: string, buffers: PartBuffers): PartSource {
  let position = 0;
  return {
    size,
    release: (part) => buffers.release(part),
    async next(length) {
      const wanted = Math.min(length, size - position);
      if (wanted <= 0) return undefined;
      const buffer = buffers.take(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, position + filled);
        if (bytesRead === 0) throw Object.assign(new Error('the file shrank while it was being uploaded'), { code: 'ESHRUNK', path });
        filled += bytesRead;
      }
      position += wanted;
      return buffer;
    },
    close: () => handle.close(),
  };
}

/** Parts cut from a stream of any length; the stream is read only as fast as parts are taken (backpressure). */
export function streamSource(stream: Readable, size: number | undefined, buffers: PartBuffers, context: ErrorContext = { operation: 'uploadStream' }): PartSource {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  let leftover: Buffer | undefined;
  let ended = false;
  return {
    size,
    release: (part) => buffers.release(part),
    async next(length) {
      if (ended && leftover === undefined) return undefined;
      const part = buffers.take(length);
      let filled = 0;
      while (filled < length) {
        let chunk = leftover;
        leftover = undefined;
        if (chunk === undefined) {
          if (ended) break;
          const step = await chunks.next();
          if (step.done === true) {
            ended = true;
            break;
          }
          chunk = asBuffer(step.value, context);
        }
        const take = Math.min(chunk.length, length - filled);
        chunk.copy(part, filled, 0, take);
        filled += take;
        if (take < chunk.length) leftover = chunk.subarray(take);
      }
      if (filled === 0) {
        buffers.release(part);
        return undefined;
      }
      return part.subarray(0, filled);
    },
    async close() {
      if (!ended) await chunks.return?.();
    },
  };
}

/**
 * A stream chunk as a Buffer, without copying: Buffers as they are, strings as UTF-8, any `Uint8Array` (an
 * object-mode stream of typed arrays) as a view of its bytes. Anything else is refused as `InvalidInput`.
 */
function asBuffer(chunk: unknown, context: ErrorContext): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const what = typeof chunk === 'object' && chunk !== null ? chunk.constructor.name : typeof chunk;
  throw s3Error('InvalidInput', context, `the stream gave a ${what} chunk; only bytes (Buffer, Uint8Array) and strings can be uploaded`);
}
