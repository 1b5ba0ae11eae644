import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { IdleEnding } from './idle-ending';

/**
 * Digests computed off the main thread: the SHA-256 of an upload body (a signed payload over http) and the CRC32 of
 * a file (the digest a multipart upload records before its first part). On the main thread they cost 0.87 and 0.31
 * CPU-s per GiB here and stall every socket of every transfer while they run; on worker threads the main thread
 * keeps the sockets busy and a second core does the hashing.
 *
 * The workers are a process-wide pool, started on first use, `unref`'d while idle (they never keep the process
 * alive), `ref`'d while a job is pending, and ended after 30 s with nothing to do (the next job starts them again).
 * Bodies are hashed in place when their memory is a `SharedArrayBuffer` ({@link sharedBuffer}, the memory of upload
 * parts): nothing is copied. A file is read by the worker through its
 * own descriptor, opened by path and checked to be the same file (device and inode) as the caller's. If a worker
 * cannot be started or dies, the digest is computed on the calling thread instead: an upload never fails for it.
 */

/** Bodies from this size up are hashed on a worker; below it the round trip costs more than the hashing. */
export const OFF_THREAD_MIN = 512 * 1024;
/** A file's CRC32 is computed in slices of this size, handed to whichever thread is free. */
const FILE_SLICE = 32 * 1024 * 1024;
const READ_SIZE = 1024 * 1024;

// Plain CommonJS evaluated in the worker: no file to resolve, the same from dist/ and from the TypeScript sources.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { crc32 } = require('node:zlib');
const fs = require('node:fs');
let buffer;
parentPort.on('message', (job) => {
  try {
    if (job.kind === 'sha256') {
      const digest = createHash('sha256').update(new Uint8Array(job.memory, job.offset, job.length)).digest('hex');
      parentPort.postMessage({ id: job.id, value: digest });
      return;
    }
    const fd = fs.openSync(job.path, 'r');
    try {
      const st = fs.fstatSync(fd, { bigint: true });
      if (String(st.dev) !== job.dev || String(st.ino) !== job.ino) throw Object.assign(new Error(job.path + ' was replaced while it was being read'), { code: 'ECHANGED' });
      buffer ??= Buffer.allocUnsafe(${READ_SIZE});
      let value = 0;
      for (let position = job.start; position < job.end; ) {
        const read = fs.readSync(fd, buffer, 0, Math.min(buffer.length, job.end - position), position);
        if (read === 0) throw Object.assign(new Error('the file shrank while it was being read'), { code: 'ESHRUNK' });
        value = crc32(buffer.subarray(0, read), value);
        position += read;
      }
      parentPort.postMessage({ id: job.id, value });
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Pending {
  readonly resolve: (value: string | number) => void;
  readonly reject: (error: Error) => void;
}

interface Lane {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

let lanes: Lane[] | undefined;
let nextId = 0;
let turn = 0;
/** How long the workers may all be idle before they end (started again by the next digest). */
let idleEndMs = 30_000;

/** Sets how long idle digest workers live (for specs); returns the previous value. */
export function setDigestWorkerIdleMs(ms: number): number {
  const previous = idleEndMs;
  idleEndMs = ms;
  return previous;
}

/** Once every worker has had nothing to do for {@link idleEndMs}, they end (their isolates' memory goes back). */
const idleEnding = new IdleEnding(
  () => idleEndMs,
  () => lanes === undefined || lanes.some((l) => l.pending.size > 0),
  () => {
    const ending = lanes ?? [];
    lanes = undefined;
    for (const l of ending) void l.worker.terminate();
  },
);

/** Workers in the pool: one less than the cores (the main thread keeps one), at least one, at most four. */
function poolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

function startLane(index: number): Lane | undefined {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, name: `rx-s3 digests ${index}` });
  } catch {
    return undefined;
  }
  worker.unref();
  const lane: Lane = { worker, pending: new Map() };
  worker.on('message', (answer: { id: number; value?: string | number; error?: { message: string; code?: string } }) => {
    const job = lane.pending.get(answer.id);
    if (job === undefined) return;
    lane.pending.delete(answer.id);
    if (lane.pending.size === 0) {
      worker.unref();
      idleEnding.idled();
    }
    if (answer.error !== undefined) job.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
    else job.resolve(answer.value!);
  });
  // A worker that dies hands its jobs back to the caller (computed on the calling thread) and leaves the pool.
  const fail = (error: Error): void => {
    if (lanes !== undefined) lanes = lanes.filter((l) => l !== lane);
    for (const job of lane.pending.values()) job.reject(Object.assign(error, { workerFailed: true }));
    lane.pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the digest worker exited with code ${code}`)));
  return lane;
}

function lane(): Lane | undefined {
  if (lanes === undefined || lanes.length === 0) {
    lanes = [];
    for (let i = 0; i < poolSize(); i++) {
      const started = startLane(i);
      if (started !== undefined) lanes.push(started);
    }
  }
  if (lanes.length === 0) return undefined;
  // The least busy worker (ties in turn).
  turn = (turn + 1) % lanes.length;
  let best = lanes[turn]!;
  for (const l of lanes) if (l.pending.size < best.pending.size) best = l;
  return best;
}

function post(job: Record<string, unknown>): Promise<string | number> | undefined {
  const target = lane();
  if (target === undefined) return undefined;
  const id = nextId++;
  idleEnding.cancel();
  return new Promise((resolve, reject) => {
    target.pending.set(id, { resolve, reject });
    target.worker.ref();
    target.worker.postMessage({ ...job, id });
  });
}

/** The pool's workers (started if need be), for tests that make one fail. */
export function digestWorkersForTests(): readonly Worker[] {
  lane();
  return (lanes ?? []).map((l) => l.worker);
}

/**
 * A buffer of `length` bytes whose memory can be hashed by a worker in place (a `SharedArrayBuffer`), for data that
 * will be hashed: upload parts.
 */
export function sharedBuffer(length: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(length));
}

/**
 * The hex SHA-256 of `body`: on a worker thread, without copying, when the body is large and lives in shared memory;
 * on this thread otherwise (or when no worker can run).
 *
 * @example
 * ```ts
 * const part = sharedBuffer(8 * 1024 * 1024);
 * const hex = await sha256Hex(part); // the main thread stays free while a worker hashes the 8 MiB
 * ```
 */
export async function sha256Hex(body: Uint8Array): Promise<string> {
  const inline = (): string => createHash('sha256').update(body).digest('hex');
  if (body.length < OFF_THREAD_MIN || !(body.buffer instanceof SharedArrayBuffer)) return inline();
  const job = post({ kind: 'sha256', memory: body.buffer, offset: body.byteOffset, length: body.byteLength });
  if (job === undefined) return inline();
  try {
    return (await job) as string;
  } catch {
    return inline();
  }
}

/** CRC32 of the concatenation `a || b`, from CRC32(a), CRC32(b) and b's length (zlib's crc32_combine, GF(2) matrices). */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const times = (matrix: Uint32Array, vector: number): number => {
    let sum = 0;
    for (let i = 0; vector !== 0; i++, vector >>>= 1) if ((vector & 1) !== 0) sum ^= matrix[i]!;
    return sum >>> 0;
  };
  const square = (into: Uint32Array, matrix: Uint32Array): void => {
    for (let n = 0; n < 32; n++) into[n] = times(matrix, matrix[n]!);
  };
  const odd = new Uint32Array(32);
  const even = new Uint32Array(32);
  odd[0] = 0xedb88320; // the CRC-32 polynomial, reflected: the operator for one zero bit
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row;
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let length = lengthB;
  do {
    // Each round applies the operator for 8 x 2^k zero bits when bit k of the length (in bytes) is set.
    square(even, odd);
    if (length % 2 === 1) crc = times(even, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
    square(odd, even);
    if (length % 2 === 1) crc = times(odd, crc);
    length = Math.floor(length / 2);
  } while (length !== 0);
  return (crc ^ crcB) >>> 0;
}

/** What {@link parallelFileCrc32} reads: an open file, the same file by path (for the workers), its first `size` bytes. */
export interface FileToDigest {
  readonly path: string;
  /** The caller's open file: its device and inode must be the ones the workers open by path. */
  readonly stat: { readonly dev: number | bigint; readonly ino: number | bigint };
  /** Reads into `buffer` at `position` on the calling thread (the caller's own descriptor). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
}

/**
 * The CRC32 of a file's first `size` bytes, as a number, cut in slices (32 MiB unless `sliceSize` says otherwise)
 * shared between the workers and this thread (which reads through the caller's descriptor), then combined in order.
 * Stops when `signal` aborts, after the slices in flight (at most one per worker) are done, so no worker still
 * reads the file once it settled.
 */
export async function parallelFileCrc32(file: FileToDigest, size: number, signal: AbortSignal, sliceSize = FILE_SLICE): Promise<number> {
  const slices: Array<{ start: number; end: number; crc?: number }> = [];
  for (let start = 0; start < size; start += sliceSize) slices.push({ start, end: Math.min(size, start + sliceSize) });
  let next = 0;
  let failure: { error: unknown } | undefined;
  const identity = { dev: String(file.stat.dev), ino: String(file.stat.ino) };
  const here = async (slice: { start: number; end: number; crc?: number }): Promise<void> => {
    const buffer = Buffer.allocUnsafe(Math.min(READ_SIZE, slice.end - slice.start));
    let value = 0;
    for (let position = slice.start; position < slice.end; ) {
      signal.throwIfAborted();
      const read = await file.read(buffer, Math.min(buffer.length, slice.end - position), position);
      if (read === 0) throw Object.assign(new Error('the file shrank while it was being read'), { code: 'ESHRUNK', path: file.path });
      value = crc32(buffer.subarray(0, read), value);
      position += read;
    }
    slice.crc = value;
  };
  const runner = async (onWorker: boolean): Promise<void> => {
    while (next < slices.length && failure === undefined && !signal.aborted) {
      const slice = slices[next++]!;
      try {
        const job = onWorker ? post({ kind: 'crc32', path: file.path, ...identity, start: slice.start, end: slice.end }) : undefined;
        if (job === undefined) await here(slice);
        else {
          try {
            slice.crc = (await job) as number;
          } catch (error) {
            // A worker that died: this slice is read here. A file error is the file's: it is the answer.
            if ((error as { workerFailed?: boolean }).workerFailed !== true) throw Object.assign(error as object, { path: file.path });
            await here(slice);
          }
        }
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = slices.length > 1 ? poolSize() : 0;
  await Promise.all([runner(false), ...Array.from({ length: workers }, () => runner(true))]);
  if (failure !== undefined) throw failure.error;
  signal.throwIfAborted();
  return slices.reduce((crc, slice) => crc32Combine(crc, slice.crc!, slice.end - slice.start), 0);
}
