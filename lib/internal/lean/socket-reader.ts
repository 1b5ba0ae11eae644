import { writev } from 'node:fs';
import type { Conn, ConnHandler, SocketPool } from './socket-pool';
import { MAX_READ, MIN_READ, PARKING, maybeFree, stopWaiting, takeBlock, waitForBlock, type StagingBlock, type StagingWaiter } from './socket-staging';

export { SocketPool, type SocketPoolOptions } from './socket-pool';

/** A GET already signed by the caller (SigV4), its headers including `Host`; sent as it is over plain HTTP/1.1. */
export interface SignedGet {
  readonly host: string;
  readonly port: number;
  /** The request target: path and query, already encoded as signed. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Any request already signed by the caller: a method other than GET, and a body (sent whole, with the
 * `content-length` the caller put in `headers`).
 */
export interface SignedRequest extends SignedGet {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  readonly body?: Uint8Array;
}

/** What {@link exchange} got: the status, the headers (names in lower case) and the body (its first 64 KiB). */
export interface ExchangeResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Connect and idle limits of one request, in milliseconds (`0` turns one off); see `TimeoutOptions`. */
export interface SocketLimits {
  readonly connectMs: number;
  /** The longest time without a byte received while the reader is not the one behind (paused by its disk). */
  readonly idleMs: number;
}

/** What {@link getIntoFile} got: the status and headers (names in lower case), the bytes written, an error body. */
export interface GetIntoFileResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Bytes written at `position..` (0 unless the status is 200 or 206). */
  readonly written: number;
  /** For a status other than 200 and 206: the body (its first 64 KiB). */
  readonly errorBody?: Buffer;
}

/** Where the body goes: the file descriptor, the offset of the first byte, the path (named in errors). */
export interface FileTarget {
  readonly fd: number;
  readonly position: number;
  readonly path: string;
  /** The most bytes the body may have: a longer one fails (before any write, when its length says so). */
  readonly maxBytes?: number;
  /**
   * The caller keeps a CRC32 of the bytes written: a reader that cannot hand the bytes over (a TLS reader thread)
   * computes it and passes it to `onWritten` with each write's length instead.
   */
  readonly wantsCrc32?: boolean;
}

/**
 * Called after each write landed: its length, the chunks written (valid during the call only; none from a TLS reader
 * thread) and, from a reader thread serving a target that `wantsCrc32`, the CRC32 of those bytes.
 */
export type WrittenCallback = (bytes: number, chunks: readonly Buffer[], crc32?: number) => void;

/** Counters of the process's reads and writes, for benchmarks and tests (cheap: a few increments per read). */
export const readerCounters = { reads: 0, readBytes: 0, parkedReads: 0, copiedBytes: 0, allocatedCopies: 0, pauses: 0, writes: 0, writtenBytes: 0 };

/** Writes are batched to about this many bytes. */
const BATCH = 1024 * 1024;
/** A batch smaller than {@link BATCH} is written after this long without a write (a slow body still lands). */
const LINGER_MS = 50;
/** Staging blocks one request holds at most (its read block and the ones its writes are made from). */
const BLOCKS_PER_REQUEST = 4;
/** Bytes received and not yet written at which a request stops reading until its writes catch up. */
const BEHIND_MAX = 4 * 1024 * 1024;
/** An error body is kept up to this size. */
const ERROR_BODY_MAX = 64 * 1024;
/** A response head longer than this is refused. */
const HEAD_MAX = 64 * 1024;

/**
 * GETs `request` into `target.fd` at `target.position` over a pooled keep-alive connection, allocation-free: the
 * socket reads into shared staging blocks and the body is written with `writev` straight from them, about 1 MiB
 * per write. For 200 and 206 it writes the body (Content-Length, chunked, or up to the connection's close),
 * calling `onWritten(bytes, chunks)` after each write landed, in order (`chunks` are the bytes written; they are
 * valid only during the call); for any other status it keeps the body (its first 64 KiB) as `errorBody` and
 * writes nothing. 1xx answers are skipped.
 *
 * Rejects with Node-style errors `toS3Error` maps: `TimeoutError`/`ETIMEDOUT` for a connect timeout or an idle
 * stall, the socket's own error (`ECONNRESET`...), `ERR_STREAM_PREMATURE_CLOSE` for a body that ended short, an
 * `AbortError` when `signal` aborts, the file-system error (with `path: target.path`) for a failed write. A
 * request on a reused keep-alive connection that failed before any response byte carries `reusedSocket: true`:
 * retry it at once. A malformed answer fails with an `HPE_*` code (as Node's own parser names them), a body longer
 * than `target.maxBytes` with `ERR_BODY_TOO_LONG`; neither is a network failure.
 *
 * It never settles while a write is in flight (so `target.fd` may be closed as soon as it settled, also after an
 * abort), and on a network failure or a stall it first writes the bytes it received: `target.position` plus the
 * bytes `onWritten` reported is exactly where a retry resumes. An `onWritten` that throws fails the call like a
 * failed write. The connection goes back to `pool` only after a complete response that allows keep-alive.
 */
export function getIntoFile(
  pool: SocketPool,
  request: SignedGet,
  target: FileTarget,
  onWritten: WrittenCallback,
  signal: AbortSignal,
  limits: SocketLimits,
): Promise<GetIntoFileResult> {
  return started(signal, request, 'GET', (head, resolve: (r: GetIntoFileResult) => void, reject) => new Reader(pool, request, head, target, onWritten, signal, limits, resolve, reject));
}

/**
 * Sends `request` over a pooled keep-alive connection and reads the whole answer into memory: the small requests
 * of the data plane (HeadObject, PutObject, UploadPart), without node:http's request and response objects. The head
 * and body go out in one `writev` (a large body in slices of `sliceBytes`, `onSent(bytes)` as each is handed to the
 * socket); the answer's body is kept up to 64 KiB (an answer to HEAD has none, whatever its Content-Length says).
 * Timeouts, aborts, a reused connection that failed before any answer (`reusedSocket: true`) and malformed answers
 * reject as {@link getIntoFile} does. A connection whose answer came before its body was all sent is not reused.
 */
export function exchange(
  pool: SocketPool,
  request: SignedRequest,
  signal: AbortSignal,
  limits: SocketLimits,
  onSent?: (bytes: number) => void,
  sliceBytes = 256 * 1024,
): Promise<ExchangeResult> {
  const outgoing: Outgoing = { method: request.method, body: request.body, onSent, sliceBytes };
  return started(signal, request, request.method, (head, resolve: (r: ExchangeResult) => void, reject) => {
    const done = (r: GetIntoFileResult): void => resolve({ status: r.status, headers: r.headers, body: r.errorBody ?? EMPTY });
    return new Reader(pool, request, head, undefined, NOTHING_WRITTEN, signal, limits, done, reject, outgoing);
  });
}

/** A request's promise: rejected at once when `signal` already aborted or the head is malformed, else its reader started. */
function started<T>(
  signal: AbortSignal,
  request: SignedGet,
  method: string,
  reader: (head: string, resolve: (result: T) => void, reject: (error: Error) => void) => Reader,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError(signal.reason));
      return;
    }
    let head: string;
    try {
      head = requestHead(request, method);
    } catch (error) {
      reject(error as Error);
      return;
    }
    reader(head, resolve, reject).start();
  });
}

const EMPTY = Buffer.alloc(0);
const NOTHING_WRITTEN: WrittenCallback = () => undefined;

/** What a request other than a GET into a file sends. */
interface Outgoing {
  readonly method: string;
  readonly body: Uint8Array | undefined;
  readonly onSent: ((bytes: number) => void) | undefined;
  readonly sliceBytes: number;
}

/** The request line and headers, refusing characters that would split them. */
function requestHead(request: SignedGet, method: string): string {
  const check = (what: string, value: string): string => {
    if (/[\r\n\0]/.test(value)) throw Object.assign(new TypeError(`invalid character in the request ${what}`), { code: 'ERR_INVALID_CHAR' });
    return value;
  };
  let head = `${method} ${check('path', request.path)} HTTP/1.1\r\n`;
  for (const name of Object.keys(request.headers)) head += `${check('header name', name)}: ${check('header value', request.headers[name]!)}\r\n`;
  return `${head}\r\n`;
}

/** The rejection of a read aborted by its signal (the TLS reader threads' too). */
export function abortError(reason: unknown): Error {
  return Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Same as lib/internal/timeouts.ts: retried like a reset, reported as `Timeout`. */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

function networkError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const enum Phase { Head, Body, Done }
const enum Mode { None, Length, Chunked, Close }
const enum Chunk { Size, Ext, SizeLf, Data, DataCr, DataLf, TrailerLineStart, TrailerLine, TrailerEndLf }

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * One request: its connection's read hooks, the response parser, the staging it holds and its writes. Without a
 * `target` (an {@link exchange}) every answer's body is kept in memory, as an error body is, and reads land in the
 * parking buffer: the answers are small.
 */
class Reader implements ConnHandler, StagingWaiter {
  private conn: Conn | undefined;
  /** The request's body is all handed to the socket (a connection answered before that is not reused). */
  private bodySent = true;
  private reused = false;
  private phase = Phase.Head;
  private sawByte = false;
  // response head
  private crlf = 0;
  private headText = '';
  private status = 0;
  private headers: Record<string, string> = {};
  private keepAlive = true;
  private isData = false;
  // body
  private mode = Mode.None;
  private remaining = 0;
  private chunk = Chunk.Size;
  private sizeDigits = 0;
  private errorChunks: Buffer[] = [];
  private errorBytes = 0;
  // staging
  private block: StagingBlock | undefined;
  private offset = 0;
  private armed: StagingBlock | undefined;
  private blocksHeld = 0;
  private paused = false;
  // writes
  private batch: Buffer[] = [];
  private owners: Array<StagingBlock | undefined> = [];
  private batchBytes = 0;
  private queued = 0;
  private written = 0;
  private writing = false;
  private writeFailed = false;
  // the end
  private failure: Error | undefined;
  private settled = false;
  private connectTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: SocketPool,
    private readonly request: SignedGet,
    private readonly head: string,
    private readonly target: FileTarget | undefined,
    private readonly onWritten: WrittenCallback,
    private readonly signal: AbortSignal,
    private readonly limits: SocketLimits,
    private readonly resolve: (result: GetIntoFileResult) => void,
    private readonly reject: (error: Error) => void,
    private readonly outgoing?: Outgoing,
  ) {}

  private readonly onAbort = (): void => this.fail(abortError(this.signal.reason), false);

  start(): void {
    this.signal.addEventListener('abort', this.onAbort, { once: true });
    this.pool.acquire(this.request.host, this.request.port, this, this.signal).then(
      (conn) => this.send(conn),
      (error: unknown) => this.fail(this.signal.aborted ? abortError(this.signal.reason) : (error as Error), false),
    );
  }

  private send(conn: Conn): void {
    if (this.failure !== undefined) {
      this.pool.release(conn, !conn.closed); // never used for this request
      return;
    }
    this.conn = conn;
    this.reused = conn.served > 0;
    const socket = conn.socket;
    if (socket.connecting) {
      if (this.limits.connectMs > 0) {
        this.connectTimer = setTimeout(() => this.fail(timeoutError(`could not connect within ${this.limits.connectMs} ms`)), this.limits.connectMs);
      }
      socket.once('connect', () => {
        clearTimeout(this.connectTimer);
        if (this.conn === conn && this.limits.idleMs > 0) socket.setTimeout(this.limits.idleMs);
      });
    } else if (this.limits.idleMs > 0) {
      socket.setTimeout(this.limits.idleMs);
    }
    const body = this.outgoing?.body;
    if (body === undefined || body.length === 0) socket.write(this.head, 'latin1');
    else this.sendBody(conn, body);
  }

  /** The head and the body in one `writev`; a large body in slices, each counted as it is handed to the socket. */
  private sendBody(conn: Conn, body: Uint8Array): void {
    const socket = conn.socket;
    const { onSent, sliceBytes } = this.outgoing!;
    this.bodySent = false;
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        if (this.conn !== conn) return; // answered, failed or aborted meanwhile
        const end = Math.min(offset + sliceBytes, body.length);
        const slice = body.subarray(offset, end);
        offset = end;
        onSent?.(slice.length);
        if (offset === body.length) {
          socket.write(slice, () => {
            this.bodySent = true;
          });
          return;
        }
        if (!socket.write(slice)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    socket.cork();
    socket.write(this.head, 'latin1');
    pump();
    socket.uncork();
  }

  // ---- the connection's hooks ----------------------------------------------------------------------------

  arm(): Buffer {
    this.armed = undefined;
    // (A request paused because its writes are behind keeps a region of its block armed: the read after it resumes
    // lands there. One paused for lack of staging has none: that read lands in the parking buffer and is copied.)
    if (this.failure !== undefined || this.phase === Phase.Done || this.target === undefined || !(this.phase === Phase.Head || this.isData)) return PARKING;
    if (!this.prepare(false)) return PARKING;
    const block = this.block!;
    this.armed = block;
    return block.buffer.subarray(this.offset, Math.min(block.buffer.length, this.offset + MAX_READ));
  }

  read(nread: number, buffer: Buffer): boolean {
    if (this.failure !== undefined || this.phase === Phase.Done) return false;
    this.sawByte = true;
    readerCounters.reads += 1;
    readerCounters.readBytes += nread;
    if (buffer === PARKING) readerCounters.parkedReads += 1;
    let owner: StagingBlock | undefined;
    if (buffer !== PARKING) {
      owner = this.armed;
      if (owner === undefined || buffer.buffer !== owner.buffer.buffer) {
        this.fail(new Error('socket reader: a read landed in a buffer it did not arm'), true);
        return false;
      }
      this.offset += nread;
    }
    this.armed = undefined;
    let at = 0;
    while (at < nread && this.failure === undefined && !this.done()) {
      at = this.phase === Phase.Head ? this.parseHead(buffer, at, nread) : this.parseBody(buffer, at, nread, owner);
    }
    if (this.failure !== undefined) return false;
    if (this.done()) {
      if (at < nread) this.keepAlive = false; // bytes after the response: nothing to trust on this connection
      this.completed();
      return true; // the connection reads on: for its next request, or to see the server close it while free
    }
    if (this.isData && this.phase === Phase.Body) {
      if (!this.writing && this.batchBytes >= BATCH) this.flush();
      else if (!this.writing && this.batchBytes > 0) this.linger();
      if (this.behind() || !this.prepare(true)) {
        // The disk is behind, or all the staging this request may hold is in flight: stop reading until a write lands.
        this.paused = true;
        readerCounters.pauses += 1;
        this.flush();
        return false;
      }
    }
    return true;
  }

  /** The response ended on the wire (a method: the parsers change the phase behind the compiler's back). */
  private done(): boolean {
    return this.phase === Phase.Done;
  }

  end(): void {
    if (this.phase === Phase.Body && this.mode === Mode.Close) {
      this.keepAlive = false;
      this.phase = Phase.Done;
      this.completed();
      return;
    }
    if (this.phase === Phase.Body) {
      this.fail(networkError(`the body ended at byte ${this.queued + this.batchBytes}${this.mode === Mode.Length ? ` of ${this.queued + this.batchBytes + this.remaining}` : ' (in the middle of a chunk)'}`, 'ERR_STREAM_PREMATURE_CLOSE'));
      return;
    }
    this.fail(networkError(this.sawByte ? 'the connection closed in the middle of the response head' : 'socket hang up', 'ECONNRESET'));
  }

  fail(error: Error, flush = true): void {
    if (this.settled || this.failure !== undefined) return;
    if (!this.sawByte && this.reused && this.phase === Phase.Head) Object.assign(error, { reusedSocket: true });
    this.failure = error;
    this.detach(false);
    if (flush && this.isData && !this.writeFailed) this.flush(); // what arrived is kept
    if (!this.writing) this.finish();
  }

  idle(): void {
    if (this.paused) {
      this.conn?.socket.setTimeout(this.limits.idleMs); // we are the ones behind: not a stall
      return;
    }
    // (The agents' watchdog names both ways: a request with a body may stall while it sends.)
    this.fail(timeoutError(`no byte ${this.outgoing === undefined ? '' : 'sent or '}received for ${this.limits.idleMs} ms`));
  }

  /** A staging block freed elsewhere: resume if this request was waiting for one. */
  wake(): void {
    this.tryResume();
  }

  // ---- the response ----------------------------------------------------------------------------------------

  /** Scans for the end of the head (CR LF CR LF); returns where the scan stopped. */
  private parseHead(buffer: Buffer, from: number, end: number): number {
    let state = this.crlf;
    let at = from;
    for (; at < end && state !== 4; at++) {
      const c = buffer[at]!;
      if (c === 13) state = state === 2 ? 3 : 1;
      else if (c === 10) state = state === 1 ? 2 : state === 3 ? 4 : 0;
      else state = 0;
    }
    this.crlf = state;
    if (this.headText.length + (at - from) > HEAD_MAX) {
      this.fail(networkError(`the response head is longer than ${HEAD_MAX} bytes`, 'HPE_HEADER_OVERFLOW'), false);
      return end;
    }
    this.headText += buffer.toString('latin1', from, at);
    if (state === 4) this.headEnded();
    return at;
  }

  private headEnded(): void {
    const lines = this.headText.split('\r\n');
    this.headText = '';
    this.crlf = 0;
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (statusLine === null) {
      this.fail(networkError(`not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`, 'HPE_INVALID_CONSTANT'), false);
      return;
    }
    const status = Number(statusLine[2]);
    if (status >= 100 && status < 200) {
      if (status === 101) this.fail(networkError('the server switched protocols', 'HPE_INVALID_CONSTANT'), false);
      return; // 100 Continue, 103 Early Hints...: the real answer follows
    }
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) {
        this.fail(networkError(`a malformed response header: ${JSON.stringify(line.slice(0, 80))}`, 'HPE_INVALID_HEADER_TOKEN'), false);
        return;
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    this.status = status;
    this.headers = headers;
    const connection = (headers.connection ?? '').toLowerCase();
    this.keepAlive = statusLine[1] === '1' ? !/(^|,)\s*close\s*(,|$)/.test(connection) : /(^|,)\s*keep-alive\s*(,|$)/.test(connection);
    this.isData = this.target !== undefined && (status === 200 || status === 206);
    const transfer = headers['transfer-encoding'];
    const length = headers['content-length'];
    this.phase = Phase.Body;
    if (status === 204 || status === 304 || this.outgoing?.method === 'HEAD') {
      this.mode = Mode.None;
    } else if (transfer !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(transfer)) {
        this.fail(networkError(`unsupported Transfer-Encoding: ${transfer}`, 'HPE_INVALID_TRANSFER_ENCODING'), false);
        return;
      }
      this.mode = Mode.Chunked;
      this.chunk = Chunk.Size;
      this.remaining = 0;
      this.sizeDigits = 0;
    } else if (length !== undefined) {
      if (!/^\d+$/.test(length) || Number(length) > Number.MAX_SAFE_INTEGER) {
        this.fail(networkError(`an invalid Content-Length: ${length}`, 'HPE_INVALID_CONTENT_LENGTH'), false);
        return;
      }
      this.remaining = Number(length);
      this.mode = this.remaining === 0 ? Mode.None : Mode.Length;
    } else {
      this.mode = Mode.Close;
      this.keepAlive = false;
    }
    const maxBytes = this.target?.maxBytes;
    if (this.isData && this.mode === Mode.Length && maxBytes !== undefined && this.remaining > maxBytes) {
      this.fail(tooLong(maxBytes, this.remaining), false);
      return;
    }
    if (this.mode === Mode.None) this.phase = Phase.Done;
  }

  /** Consumes body bytes (and chunk framing); returns where it stopped. */
  private parseBody(buffer: Buffer, from: number, end: number, owner: StagingBlock | undefined): number {
    if (this.mode === Mode.Length) {
      const take = Math.min(this.remaining, end - from);
      this.deliver(buffer, from, from + take, owner);
      this.remaining -= take;
      if (this.remaining === 0) this.phase = Phase.Done;
      return from + take;
    }
    if (this.mode === Mode.Close) {
      this.deliver(buffer, from, end, owner);
      return end;
    }
    let at = from;
    while (at < end) {
      if (this.chunk === Chunk.Data) {
        const take = Math.min(this.remaining, end - at);
        this.deliver(buffer, at, at + take, owner);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.chunk = Chunk.DataCr;
        if (this.failure !== undefined) return end;
        continue;
      }
      const c = buffer[at++]!;
      switch (this.chunk) {
        case Chunk.Size: {
          const digit = hexValue(c);
          if (digit >= 0 && this.sizeDigits < 13) {
            this.remaining = this.remaining * 16 + digit;
            this.sizeDigits += 1;
          } else if (this.sizeDigits > 0 && (c === 59 || c === 32 || c === 9)) {
            this.chunk = Chunk.Ext;
          } else if (this.sizeDigits > 0 && c === 13) {
            this.chunk = Chunk.SizeLf;
          } else if (this.sizeDigits > 0 && c === 10) {
            this.sizeEnded();
          } else {
            return this.badChunk();
          }
          break;
        }
        case Chunk.Ext:
          if (c === 13) this.chunk = Chunk.SizeLf;
          else if (c === 10) this.sizeEnded();
          break;
        case Chunk.SizeLf:
          if (c !== 10) return this.badChunk();
          this.sizeEnded();
          break;
        case Chunk.DataCr:
          if (c === 13) this.chunk = Chunk.DataLf;
          else if (c === 10) this.chunk = Chunk.Size;
          else return this.badChunk();
          break;
        case Chunk.DataLf:
          if (c !== 10) return this.badChunk();
          this.chunk = Chunk.Size;
          break;
        case Chunk.TrailerLineStart:
          if (c === 13) this.chunk = Chunk.TrailerEndLf;
          else if (c === 10) this.phase = Phase.Done;
          else this.chunk = Chunk.TrailerLine;
          break;
        case Chunk.TrailerLine:
          if (c === 10) this.chunk = Chunk.TrailerLineStart;
          break;
        case Chunk.TrailerEndLf:
          if (c !== 10) return this.badChunk();
          this.phase = Phase.Done;
          break;
      }
      if (this.phase === Phase.Done) return at;
    }
    return at;
  }

  private sizeEnded(): void {
    if (this.remaining === 0) {
      this.chunk = Chunk.TrailerLineStart;
      return;
    }
    this.chunk = Chunk.Data;
    this.sizeDigits = 0;
  }

  private badChunk(): number {
    this.fail(networkError('a malformed chunked body', 'HPE_INVALID_CHUNK_SIZE'));
    return Number.MAX_SAFE_INTEGER;
  }

  /** Body bytes `buffer[from..to)`: queued for writing (data) or kept (an error body). */
  private deliver(buffer: Buffer, from: number, to: number, owner: StagingBlock | undefined): void {
    const size = to - from;
    if (size === 0) return;
    if (!this.isData) {
      const keep = Math.min(size, ERROR_BODY_MAX - this.errorBytes);
      if (keep > 0) {
        this.errorChunks.push(Buffer.from(buffer.subarray(from, from + keep)));
        this.errorBytes += keep;
      }
      return;
    }
    const max = this.target?.maxBytes;
    if (max !== undefined && this.queued + this.batchBytes + size > max) {
      this.fail(tooLong(max, this.queued + this.batchBytes + size));
      return;
    }
    let view: Buffer;
    if (owner !== undefined) {
      view = buffer.subarray(from, to);
    } else {
      // Landed in the parking buffer (shared): copied into staging now, or into a buffer of its own if none is free.
      owner = this.prepare(false) && this.block!.buffer.length - this.offset >= size ? this.block : undefined;
      if (owner !== undefined) {
        view = owner.buffer.subarray(this.offset, this.offset + size);
        buffer.copy(view, 0, from, to);
        this.offset += size;
      } else {
        view = Buffer.from(buffer.subarray(from, to));
        readerCounters.allocatedCopies += 1;
      }
      readerCounters.copiedBytes += size;
    }
    if (owner !== undefined) owner.pending += 1;
    this.batch.push(view);
    this.owners.push(owner);
    this.batchBytes += size;
  }

  // ---- staging -----------------------------------------------------------------------------------------

  /**
   * Makes sure the current block has room for a read: retires a full one and takes another, within this request's
   * share. False when none can be had now (with `wait`, the request is woken when one is freed elsewhere).
   */
  private prepare(wait: boolean): boolean {
    const block = this.block;
    if (block !== undefined && block.buffer.length - this.offset >= MIN_READ) return true;
    if (block !== undefined) this.retire(block);
    if (this.blocksHeld >= BLOCKS_PER_REQUEST) return false;
    const fresh = takeBlock();
    if (fresh === undefined) {
      if (wait) waitForBlock(this);
      return false;
    }
    this.block = fresh;
    this.offset = 0;
    this.blocksHeld += 1;
    return true;
  }

  private retire(block: StagingBlock): void {
    if (this.block === block) this.block = undefined;
    block.held = false;
    if (block.pending === 0) this.freed(block);
  }

  private freed(block: StagingBlock): void {
    this.blocksHeld -= 1;
    maybeFree(block);
  }

  /** Bytes received and not yet written (in the write in flight and the batch) reached {@link BEHIND_MAX}. */
  private behind(): boolean {
    return this.queued - this.written + this.batchBytes >= BEHIND_MAX;
  }

  private tryResume(): void {
    if (!this.paused || this.failure !== undefined || this.conn === undefined) return;
    if (this.behind() || !this.prepare(true)) return;
    stopWaiting(this);
    this.paused = false;
    if (this.limits.idleMs > 0) this.conn.socket.setTimeout(this.limits.idleMs);
    this.conn.socket.resume();
  }

  // ---- writes ------------------------------------------------------------------------------------------

  /** Writes a small batch soon if nothing more comes (progress and the resume point keep up with a slow body). */
  private linger(): void {
    if (this.lingerTimer !== undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (this.failure === undefined && !this.settled) this.flush();
    }, LINGER_MS);
  }

  private flush(): void {
    const target = this.target;
    if (this.writing || this.batchBytes === 0 || target === undefined) return;
    const buffers = this.batch;
    const owners = this.owners;
    const size = this.batchBytes;
    const position = target.position + this.queued;
    this.batch = [];
    this.owners = [];
    this.batchBytes = 0;
    this.queued += size;
    this.writing = true;
    readerCounters.writes += 1;
    readerCounters.writtenBytes += size;
    writeAll(target.fd, buffers, position, (bytes, chunks) => {
      this.written += bytes;
      this.onWritten(bytes, chunks);
    }, (error) => {
      for (const owner of owners) {
        if (owner === undefined) continue;
        owner.pending -= 1;
        if (!owner.held && owner.pending === 0) this.freed(owner);
      }
      this.writing = false;
      this.landed(error);
    });
  }

  /** A write landed (or failed): write the next batch, resume reading, or finish. */
  private landed(error: Error | undefined): void {
    if (error !== undefined) {
      this.writeFailed = true;
      if (this.failure === undefined) {
        if (typeof error === 'object' && !('path' in error)) Object.assign(error, { path: this.target?.path });
        this.fail(error, false);
        return;
      }
    }
    if (this.failure !== undefined) {
      if (!this.writeFailed && this.batchBytes > 0) this.flush();
      else this.finish();
      return;
    }
    if (this.phase === Phase.Done) {
      if (this.batchBytes > 0) this.flush();
      else this.finish();
      return;
    }
    if (this.batchBytes >= BATCH || (this.paused && this.batchBytes > 0)) this.flush();
    else if (this.batchBytes > 0) this.linger();
    this.tryResume();
  }

  // ---- the end -----------------------------------------------------------------------------------------

  /** The response is complete on the wire: the connection goes back (or is closed); finish once written. */
  private completed(): void {
    this.detach(this.keepAlive && this.bodySent);
    if (this.isData) this.flush();
    if (!this.writing) this.finish();
  }

  /** Lets go of the connection, the timers and the read block. */
  private detach(reusable: boolean): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.signal.removeEventListener('abort', this.onAbort);
    stopWaiting(this);
    const conn = this.conn;
    this.conn = undefined;
    if (conn !== undefined) {
      conn.socket.setTimeout(0);
      this.pool.release(conn, reusable && !this.paused);
    }
    this.paused = false;
    if (this.block !== undefined) this.retire(this.block);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    // Bytes received but never written (an abort, a failed write): their staging goes back.
    for (const owner of this.owners) {
      if (owner === undefined) continue;
      owner.pending -= 1;
      if (!owner.held && owner.pending === 0) this.freed(owner);
    }
    this.batch = [];
    this.owners = [];
    this.batchBytes = 0;
    if (this.failure !== undefined) {
      this.reject(this.failure);
      return;
    }
    this.resolve({
      status: this.status,
      headers: this.headers,
      written: this.written,
      ...(this.isData ? {} : { errorBody: Buffer.concat(this.errorChunks) }),
    });
  }
}

function tooLong(max: number, got: number): Error {
  return networkError(`the server sent more than the ${max} bytes asked for (${got})`, 'ERR_BODY_TOO_LONG');
}

/**
 * Writes `buffers` at `position`, again after a short write, reporting each landed part (`landed`) and then the
 * end (`done`, with the error of a failed write).
 */
function writeAll(fd: number, buffers: Buffer[], position: number, landed: (bytes: number, chunks: readonly Buffer[]) => void, done: (error: Error | undefined) => void): void {
  const step = (pending: Buffer[], at: number): void => {
    writev(fd, pending, at, (error, bytes) => {
      if (error !== null) {
        done(error);
        return;
      }
      let total = 0;
      for (const b of pending) total += b.length;
      const [written, rest] = bytes >= total ? [pending, []] : splitAt(pending, bytes);
      try {
        if (bytes > 0) landed(bytes, written);
      } catch (thrown) {
        done(thrown instanceof Error ? thrown : new Error(String(thrown)));
        return;
      }
      if (rest.length === 0) done(undefined);
      else step(rest, at + bytes);
    });
  };
  step(buffers, position);
}

/** The first `count` bytes of `buffers` and the rest, as views. */
function splitAt(buffers: readonly Buffer[], count: number): [Buffer[], Buffer[]] {
  const head: Buffer[] = [];
  const rest: Buffer[] = [];
  let left = count;
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      head.push(buffer);
      left -= buffer.length;
    } else if (left > 0) {
      head.push(buffer.subarray(0, left));
      rest.push(buffer.subarray(left));
      left = 0;
    } else {
      rest.push(buffer);
    }
  }
  return [head, rest];
}
