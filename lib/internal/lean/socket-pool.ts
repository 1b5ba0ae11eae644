import { connect, isIP, type OnReadOpts, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { PARKING } from './socket-staging';

/**
 * What drives a connection while it serves one request: the socket's `onread` hooks call it. `read` sees the
 * `nread` bytes that landed at the start of `buffer` (the buffer `arm` returned before) and returns false to pause
 * reading; `arm` gives the buffer the next read lands in (valid until that read). `end` is the peer's FIN, `fail`
 * a socket error or a close, `idle` the socket's idle timeout.
 */
export interface ConnHandler {
  read(nread: number, buffer: Buffer): boolean;
  arm(): Buffer;
  end(): void;
  fail(error: Error): void;
  idle(): void;
}

/** One keep-alive connection of a {@link SocketPool}. */
export class Conn {
  /** The request it serves now; undefined while it waits in the pool. */
  handler: ConnHandler | undefined;
  /** Requests it served before the current one (a reused socket may have been closed by the server meanwhile). */
  served = 0;
  closed = false;
  readonly socket: Socket;

  constructor(readonly key: string, readonly host: string, readonly port: number, private readonly onClosed: (conn: Conn) => void, tls?: TlsSetup) {
    // The read hooks are the socket's for life: they go to whichever request the connection serves. Over TLS they
    // see the decrypted bytes, one record (16 KiB at most) per read.
    const onread: OnReadOpts = { buffer: () => this.handler?.arm() ?? PARKING, callback: (nread: number, buffer: Uint8Array) => this.onRead(nread, buffer as Buffer) };
    if (tls === undefined) {
      this.socket = connect({ host, port, noDelay: true, onread });
    } else {
      // (tls.connect takes `onread` since Node 13.12; @types/node does not list it.)
      const options: ConnectionOptions & { onread: OnReadOpts } = {
        ...tls.options,
        host,
        port,
        onread,
        secureContext: tls.context,
        servername: tls.options.servername ?? (isIP(host) === 0 ? host : undefined),
      };
      this.socket = tlsConnect(options).setNoDelay(true);
    }
    this.socket.on('error', (error: Error) => this.handler?.fail(error));
    this.socket.on('end', () => this.handler?.end());
    this.socket.on('timeout', () => {
      if (this.handler !== undefined) this.handler.idle();
      else this.socket.destroy(); // too long in the pool
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.handler?.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      this.onClosed(this);
    });
  }

  private onRead(nread: number, buffer: Buffer): boolean {
    if (this.handler !== undefined) return this.handler.read(nread, buffer);
    this.socket.destroy(); // bytes nobody asked for
    return false;
  }
}

interface HostState {
  readonly free: Conn[];
  /** Connections open (free or busy). */
  open: number;
  readonly waiting: Waiter[];
}

interface Waiter {
  serve(conn: Conn): void;
  fail(error: Error): void;
}

/** The failure of a request to a destroyed pool (the TLS reader threads' too). */
export function destroyedError(): Error {
  return Object.assign(new Error('the socket pool is destroyed'), { code: 'ERR_SOCKET_POOL_DESTROYED' });
}

/** Options of a {@link SocketPool}. */
export interface SocketPoolOptions {
  /** Connections per host:port at most (busy and free); more requests wait for one. */
  readonly maxSockets: number;
  /** Free connections kept per host:port (default 256). */
  readonly maxFreeSockets?: number;
  /** How long a free connection is kept (default 4,000 ms: less than Node servers' 5 s keep-alive). */
  readonly freeSocketTimeoutMs?: number;
  /**
   * Connect with TLS, with these options (`ca`, `rejectUnauthorized`, `servername`...: as `tls.connect` takes them;
   * one secure context is made for the pool). The SNI name is the host's unless `servername` says otherwise (none
   * for an IP address), as Node's https agent sends it.
   */
  readonly tls?: ConnectionOptions;
}

/** The TLS options of a pool and the secure context made once from them. */
interface TlsSetup {
  readonly options: ConnectionOptions;
  readonly context: SecureContext;
}

/**
 * A keep-alive pool of plain `net` (or, with `tls`, TLS) connections per host:port, bounded by `maxSockets` (requests beyond wait in
 * order). A connection goes back to the pool only after a complete response that allows keep-alive; anything
 * else destroys it. Free connections are unreferenced (they keep no process alive) and closed after
 * `freeSocketTimeoutMs`, or at once when the server closes them.
 */
export class SocketPool {
  private readonly hosts = new Map<string, HostState>();
  private readonly all = new Set<Conn>();
  private readonly maxSockets: number;
  private readonly maxFreeSockets: number;
  private readonly freeSocketTimeoutMs: number;
  private readonly tls: TlsSetup | undefined;
  private destroyed = false;

  constructor(options: SocketPoolOptions) {
    this.tls = options.tls === undefined ? undefined : { options: options.tls, context: options.tls.secureContext ?? createSecureContext(options.tls) };
    this.maxSockets = Math.max(1, options.maxSockets);
    this.maxFreeSockets = options.maxFreeSockets ?? 256;
    this.freeSocketTimeoutMs = options.freeSocketTimeoutMs ?? 4_000;
  }

  /** Connections open now, and how many of them are free. */
  get stats(): { readonly open: number; readonly free: number } {
    let free = 0;
    for (const host of this.hosts.values()) free += host.free.length;
    return { open: this.all.size, free };
  }

  /**
   * A connection to host:port for `handler`: a free one (most recently used first), a new one (possibly still
   * connecting), or the first one released when `maxSockets` are busy. Rejects when `signal` aborts first.
   */
  acquire(host: string, port: number, handler: ConnHandler, signal: AbortSignal): Promise<Conn> {
    if (this.destroyed) return Promise.reject(destroyedError());
    const key = `${host}:${port}`;
    let state = this.hosts.get(key);
    if (state === undefined) {
      state = { free: [], open: 0, waiting: [] };
      this.hosts.set(key, state);
    }
    const take = (conn: Conn): Conn => {
      conn.handler = handler;
      conn.socket.ref();
      conn.socket.setTimeout(0);
      return conn;
    };
    let reusable = state.free.pop();
    while (reusable !== undefined && (reusable.closed || !reusable.socket.writable)) {
      reusable.socket.destroy(); // the server closed it (its 'close' has not come yet): never handed out
      reusable = state.free.pop();
    }
    if (reusable !== undefined) return Promise.resolve(take(reusable));
    if (state.open < this.maxSockets) {
      state.open += 1;
      const conn = new Conn(key, host, port, (c) => this.closed(c), this.tls);
      this.all.add(conn);
      return Promise.resolve(take(conn));
    }
    const queue = state.waiting;
    return new Promise<Conn>((resolve, reject) => {
      const onAbort = (): void => {
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        reject(signal.reason);
      };
      const waiter: Waiter = {
        serve: (conn) => {
          signal.removeEventListener('abort', onAbort);
          resolve(take(conn));
        },
        fail: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      queue.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Gives a connection back after its request: kept when `reusable` (a complete keep-alive response), else
   * destroyed. Either way its place goes to the next waiting request.
   */
  release(conn: Conn, reusable: boolean): void {
    conn.handler = undefined;
    const state = this.hosts.get(conn.key);
    if (!reusable || conn.closed || this.destroyed || state === undefined) {
      conn.socket.destroy();
      return;
    }
    conn.served += 1;
    const next = state.waiting.shift();
    if (next !== undefined) {
      next.serve(conn);
      return;
    }
    if (state.free.length >= this.maxFreeSockets) {
      conn.socket.destroy();
      return;
    }
    conn.socket.setTimeout(this.freeSocketTimeoutMs);
    conn.socket.unref();
    state.free.push(conn);
  }

  /** Destroys every connection, free or busy (busy requests fail), and refuses new requests. */
  destroy(): void {
    this.destroyed = true;
    for (const state of this.hosts.values()) for (const waiter of state.waiting.splice(0)) waiter.fail(destroyedError());
    for (const conn of [...this.all]) conn.socket.destroy();
  }

  /** A connection closed (for whatever reason): forget it, and open a new one for a waiting request. */
  private closed(conn: Conn): void {
    if (!this.all.delete(conn)) return;
    const state = this.hosts.get(conn.key);
    if (state === undefined) return;
    state.open -= 1;
    const at = state.free.indexOf(conn);
    if (at >= 0) state.free.splice(at, 1);
    const next = state.waiting.shift();
    if (next !== undefined) {
      state.open += 1;
      const fresh = new Conn(conn.key, conn.host, conn.port, (c) => this.closed(c), this.tls);
      this.all.add(fresh);
      next.serve(fresh);
    }
    if (state.open === 0 && state.waiting.length === 0) this.hosts.delete(conn.key);
  }
}
