import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** Where an upload's bytes come from, one part at a time. Reading is sequential; parts are fresh buffers. */
export interface PartSource {
  /** The total size, when known up front. */
  readonly size: number | undefined;
  /** The next `length` bytes (fewer only at the end), or undefined when there are no more. */
  next(length: number): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** Parts read straight from a file at their offsets: one read into each part buffer, no copying. */
export function fileSource(handle: FileHandle, size: number, path: string): PartSource {
  let position = 0;
  return {
    size,
    async next(length) {
      const wanted = Math.min(length, size - position);
      if (wanted <= 0) return undefined;
      const buffer = Buffer.allocUnsafe(wanted);
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
export function streamSource(stream: Readable, size: number | undefined): PartSource {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let leftover: Buffer | undefined;
  let ended = false;
  return {
    size,
    async next(length) {
      if (ended && leftover === undefined) return undefined;
      const part = Buffer.allocUnsafe(length);
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
          chunk = typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
        }
        const take = Math.min(chunk.length, length - filled);
        chunk.copy(part, filled, 0, take);
        filled += take;
        if (take < chunk.length) leftover = chunk.subarray(take);
      }
      return filled === 0 ? undefined : part.subarray(0, filled);
    },
    async close() {
      if (!ended) await chunks.return?.();
    },
  };
}
