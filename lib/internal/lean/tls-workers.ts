import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { Worker } from 'node:worker_threads';
import { destroyedError } from './socket-pool';
import { abortError, type FileTarget, type GetIntoFileResult, type SignedGet, type SocketLimits, type WrittenCallback } from './socket-reader';
import { IdleEnding } from '../idle-ending';

/**
 * Ranged GETs into files over https, decrypted on worker threads. Node's TLS socket decrypts one 16 KiB record per
 * read on the thread that owns it: with every range of a download on the main thread, OpenSSL and the per-record
 * callbacks of all of them share one core. Here a small pool of threads each owns keep-alive TLS connections and
 * runs the socket reader (socket-reader.ts) on them: the main thread signs the request, posts it with the file
 * descriptor and the offset, and gets back progress (bytes written, per ~1 MiB write) and the answer's status and
 * headers, or the error, in the shapes the socket reader gives on the main thread.
 */

/** What a thread is started with (its `workerData`). */
export interface WorkerSetup {
  /** The worker module, resolved by the main thread (`.js` from the package, `.ts` in this repository's specs). */
  readonly file: string;
  /** TLS options of its connections (from the client's https agent). */
  readonly tls: ConnectionOptions;
  /** Its share of the staging memory, in 2 MiB blocks. */
  readonly stagingBlocks: number;
  /** Connections per host:port at most. */
  readonly maxSockets: number;
}

/** Messages to a thread: a request, the abort of one, or the end of the thread. */
export type ToWorker =
  | { readonly type: 'get'; readonly id: number; readonly request: SignedGet; readonly target: FileTarget; readonly limits: SocketLimits }
  | { readonly type: 'abort'; readonly id: number }
  | { readonly type: 'close' };

/** Messages from a thread: it runs; bytes of a request landed in the file; a request's answer or error. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'written'; readonly id: number; readonly bytes: number; readonly crc32?: number }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly status: number;
      readonly headers: Readonly<Record<string, string>>;
      readonly written: number;
      readonly errorBody: Uint8Array | undefined;
    }
  | { readonly type: 'failed'; readonly id: number; readonly error: WorkerError };

/** An error as a thread posts it: name, message, and its own string, number and boolean fields (`code`, `syscall`...). */
export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly [field: string]: string | number | boolean;
}

/** Counters of the process's TLS reader threads, for specs and benchmarks. */
export const tlsWorkerCounters = { threads: 0, exited: 0, requests: 0, writtenBytes: 0 };

/** Threads per pool at most (and the default on a machine with more cores). */
const DEFAULT_MAX_THREADS = 4;
/** The staging memory of all the threads of a pool, in 2 MiB blocks (the main thread's socket reader has 24). */
const STAGING_BLOCKS = 24;
/** Staging blocks per thread at least: what one request may hold. */
const MIN_BLOCKS_PER_THREAD = 4;
const NO_CHUNKS: readonly Buffer[] = Object.freeze([]);

/** The worker module, beside this one with this one's extension (dist/….js, or lib/….ts under tsx). */
const WORKER_FILE = join(__dirname, `tls-worker${extname(__filename)}`);
/**
 * The thread's entry, as CommonJS source: loads the worker module, registering tsx first for a `.ts` one (a thread
 * does not inherit the loader hooks of `--import tsx` in Node 20; in the built package the module is `.js`).
 */
const BOOT = `const file = require('node:worker_threads').workerData.file;
if (file.endsWith('.ts')) require(require.resolve('tsx/cjs', { paths: [file] }));
require(file);`;

/**
 * How many TLS reader threads a client gets: `option` (`false` or `0`: none, `true`: the default, a number: that
 * many, at most 16), else the environment variable `RXS3_TLS_WORKERS` (`0` turns them off, a number sets the count),
 * else min(available parallelism, 4).
 */
export function tlsWorkerCount(option: boolean | number | undefined): number {
  // One core is left to the main thread (and, on a small machine, to the server or the rest of the application):
  // measured here on 2 cores, one thread beat two and four.
  const byDefault = (): number => Math.max(1, Math.min(availableParallelism() - 1, DEFAULT_MAX_THREADS));
  if (option === false) return 0;
  if (option === true) return byDefault();
  if (typeof option === 'number') return Number.isFinite(option) ? Math.max(0, Math.min(16, Math.floor(option))) : byDefault();
  const env = process.env.RXS3_TLS_WORKERS;
  if (env !== undefined && /^\d+$/.test(env.trim())) return Math.min(16, Number(env.trim()));
  return byDefault();
}

/**
 * Options of an https agent that concern only the agent itself (pooling, its scheme), not the connection's TLS.
 * Node 22 and later add `defaultPort` and `protocol` to every agent's options.
 */
const AGENT_ONLY = new Set(['keepAlive', 'keepAliveMsecs', 'maxSockets', 'maxFreeSockets', 'maxTotalSockets', 'maxCachedSessions', 'scheduling', 'timeout', 'noDelay', 'path', 'defaultPort', 'protocol']);
/** TLS options a thread can be given as data (strings, buffers, numbers, booleans). */
const TLS_OPTIONS = new Set([
  'ca', 'cert', 'key', 'pfx', 'passphrase', 'crl', 'ciphers', 'ecdhCurve', 'minVersion', 'maxVersion', 'secureProtocol', 'sigalgs',
  'honorCipherOrder', 'rejectUnauthorized', 'servername', 'secureOptions', 'privateKeyIdentifier', 'privateKeyEngine', 'clientCertEngine',
]);

/**
 * The TLS options of a client's https agent (`agent.options`), as data for the threads; `undefined` when it has
 * any option they cannot honour (a function such as `checkServerIdentity` or `lookup`, a `secureContext` object,
 * an address family, a proxy...): such a client keeps node:https.
 */
export function workerTlsOptions(agentOptions: Readonly<Record<string, unknown>> | undefined): ConnectionOptions | undefined {
  if (agentOptions === undefined) return undefined;
  const tls: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(agentOptions)) {
    if (value === undefined || AGENT_ONLY.has(name)) continue;
    if (!TLS_OPTIONS.has(name) || !isData(value)) return undefined;
    tls[name] = value;
  }
  return tls as ConnectionOptions;
}

function isData(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Uint8Array) return true;
  if (Array.isArray(value)) return value.every(isData);
  // `key`/`pfx` may be { pem|buf, passphrase } objects.
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value).every(isData);
  return false;
}

/** A request a thread serves, as the main thread waits for it. */
interface Pending {
  readonly onWritten: WrittenCallback;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
  readonly resolve: (result: GetIntoFileResult) => void;
  readonly reject: (error: Error) => void;
  /** What `onWritten` threw: the request was aborted, and fails with it once the thread answers. */
  thrown?: Error;
}

/** One thread and the requests it serves. */
class Thread {
  readonly pending = new Map<number, Pending>();
  readonly ready: Promise<boolean>;
  exited = false;

  constructor(readonly worker: Worker, private readonly onIdle: () => void) {
    worker.unref();
    this.ready = new Promise<boolean>((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve(true);
        else this.answer(message);
      });
      worker.once('error', () => resolve(false));
      worker.once('exit', () => {
        resolve(false);
        this.exited = true;
        tlsWorkerCounters.exited += 1;
        const error = Object.assign(new Error('the TLS reader thread exited'), { code: 'ERR_WORKER_EXITED' });
        for (const [id, pending] of this.pending) this.settle(id, pending, () => pending.reject(pending.thrown ?? error));
      });
    });
  }

  post(message: ToWorker): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  /** A request sent to the thread: the thread keeps the process alive while it has some. */
  add(id: number, pending: Pending): void {
    if (this.pending.size === 0) this.worker.ref();
    this.pending.set(id, pending);
  }

  private settle(id: number, pending: Pending, how: () => void): void {
    pending.signal.removeEventListener('abort', pending.onAbort);
    this.pending.delete(id);
    if (this.pending.size === 0 && !this.exited) this.worker.unref();
    how();
    if (this.pending.size === 0) this.onIdle();
  }

  private answer(message: Exclude<FromWorker, { type: 'ready' }>): void {
    const pending = this.pending.get(message.id);
    if (pending === undefined) return;
    if (message.type === 'written') {
      tlsWorkerCounters.writtenBytes += message.bytes;
      if (pending.thrown !== undefined) return;
      try {
        pending.onWritten(message.bytes, NO_CHUNKS, message.crc32);
      } catch (thrown) {
        pending.thrown = thrown instanceof Error ? thrown : new Error(String(thrown));
        this.post({ type: 'abort', id: message.id });
      }
      return;
    }
    if (message.type === 'done') {
      const errorBody = message.errorBody === undefined ? undefined : Buffer.from(message.errorBody.buffer, message.errorBody.byteOffset, message.errorBody.byteLength);
      this.settle(message.id, pending, () => {
        if (pending.thrown !== undefined) pending.reject(pending.thrown);
        else pending.resolve({ status: message.status, headers: message.headers, written: message.written, ...(errorBody === undefined ? {} : { errorBody }) });
      });
      return;
    }
    this.settle(message.id, pending, () => {
      if (pending.thrown !== undefined) pending.reject(pending.thrown);
      else if (message.error.name === 'AbortError' && pending.signal.aborted) pending.reject(abortError(pending.signal.reason));
      else pending.reject(Object.assign(new Error(message.error.message), message.error));
    });
  }
}

/** How long the threads of a pool may all be idle before they end (started again by the next download). */
let idleEndMs = 30_000;

/** Sets how long idle TLS reader threads live (for specs); returns the previous value. */
export function setTlsThreadIdleMs(ms: number): number {
  const previous = idleEndMs;
  idleEndMs = ms;
  return previous;
}

/**
 * A pool of TLS reader threads for one client: started on first use, each unreferenced while it serves nothing (they
 * never keep the process alive), ended once all of them were idle for 30 s (a server's memory is not held by a
 * download long past: the next one starts them again) and by {@link TlsWorkerPool.destroy}.
 * {@link TlsWorkerPool.getIntoFile} is the socket reader's `getIntoFile` over TLS, on the least busy thread.
 */
export class TlsWorkerPool {
  private threads: Thread[] | undefined;
  private started: Promise<boolean> | undefined;
  private nextId = 1;
  private destroyed = false;
  /** Once every thread has had nothing to do for {@link idleEndMs}, they end. */
  private readonly idleEnding = new IdleEnding(
    () => idleEndMs,
    () => this.destroyed || this.threads === undefined || this.threads.some((t) => t.pending.size > 0),
    () => {
      const threads = this.threads ?? [];
      this.threads = undefined;
      this.started = undefined;
      for (const thread of threads) thread.post({ type: 'close' });
    },
  );

  /**
   * `size` threads (at least 1), connecting with `tls` (see {@link workerTlsOptions}), sharing `maxSockets`
   * connections per host between them (each gets its share, rounded up).
   */
  constructor(private readonly size: number, private readonly tls: ConnectionOptions, private readonly maxSockets: number) {}

  /**
   * Starts the threads on the first call; true once all of them run. False when the worker module is missing (a
   * bundle that left it out) or a thread could not start or has exited, and after {@link destroy}: the caller then
   * uses another path.
   */
  ready(): Promise<boolean> {
    if (this.destroyed) return Promise.resolve(false);
    if (this.started === undefined) {
      if (!existsSync(WORKER_FILE)) {
        this.started = Promise.resolve(false);
      } else {
        const count = Math.max(1, this.size);
        const setup: WorkerSetup = {
          file: WORKER_FILE,
          tls: this.tls,
          stagingBlocks: Math.max(MIN_BLOCKS_PER_THREAD, Math.ceil(STAGING_BLOCKS / count)),
          maxSockets: Math.max(1, Math.ceil(this.maxSockets / count)),
        };
        try {
          this.threads = Array.from({ length: count }, () => new Thread(new Worker(BOOT, { eval: true, workerData: setup, execArgv: [] }), () => this.idleEnding.idled()));
          tlsWorkerCounters.threads += count;
          this.started = Promise.all(this.threads.map((t) => t.ready)).then((all) => all.every(Boolean));
        } catch {
          this.started = Promise.resolve(false);
        }
      }
    }
    return this.started.then((ok) => ok && !this.destroyed && this.threads!.every((t) => !t.exited));
  }

  /**
   * The socket reader's `getIntoFile` (socket-reader.ts) on a thread: the same answer, the same errors (with their
   * `code`, `syscall`, `reusedSocket`...), the same guarantee that no write is in flight once it settled. `onWritten`
   * is called with the bytes of each write that landed and no chunks (the bytes stay in the thread), and for a
   * target that `wantsCrc32` the CRC32 of those bytes, computed in the thread. Call it after {@link ready} resolved
   * true.
   */
  getIntoFile(
    request: SignedGet,
    target: FileTarget,
    onWritten: WrittenCallback,
    signal: AbortSignal,
    limits: SocketLimits,
  ): Promise<GetIntoFileResult> {
    if (this.threads === undefined && !this.destroyed) {
      // Ended while idle since the caller's ready(): started again.
      return this.ready().then((ok) => (ok ? this.getIntoFile(request, target, onWritten, signal, limits) : Promise.reject(destroyedError())));
    }
    this.idleEnding.cancel();
    return new Promise<GetIntoFileResult>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal.reason));
        return;
      }
      const live = this.destroyed ? [] : (this.threads ?? []).filter((t) => !t.exited);
      if (live.length === 0) {
        reject(destroyedError());
        return;
      }
      let thread = live[0]!;
      for (const t of live) if (t.pending.size < thread.pending.size) thread = t;
      const id = this.nextId++;
      const onAbort = (): void => thread.post({ type: 'abort', id });
      thread.add(id, { onWritten, signal, onAbort, resolve, reject });
      signal.addEventListener('abort', onAbort, { once: true });
      tlsWorkerCounters.requests += 1;
      const { fd, position, path, maxBytes, wantsCrc32 } = target;
      thread.post({ type: 'get', id, request, target: { fd, position, path, ...(maxBytes === undefined ? {} : { maxBytes }), ...(wantsCrc32 === true ? { wantsCrc32 } : {}) }, limits });
    });
  }

  /**
   * Ends the threads: their connections are closed (requests in flight fail as on a cut connection, after their
   * writes landed), and each thread exits once its requests answered. Later requests are refused.
   */
  destroy(): void {
    this.destroyed = true;
    this.idleEnding.cancel();
    for (const thread of this.threads ?? []) thread.post({ type: 'close' });
  }
}
