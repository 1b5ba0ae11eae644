import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { server } from './server';

/** A request as the proxy saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/**
 * What the proxy does to a request instead of passing it on untouched. Byte counts are of the request body
 * (`reset-request`) or of the response body (the others).
 */
export type FaultAction =
  /** Cut the connection (TCP RST) after receiving `afterBytes` bytes of the request body. */
  | { readonly kind: 'reset-request'; readonly afterBytes: number }
  /** Stop reading the request body after `afterBytes` bytes (the sender's socket fills up), and never answer. */
  | { readonly kind: 'stall-request'; readonly afterBytes: number }
  /** Answer this error, as S3 does (an XML body), without passing the request on. */
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly headers?: Readonly<Record<string, string>> }
  /** Forward, then cut the connection (TCP RST) after `afterBytes` bytes of the response body. */
  | { readonly kind: 'reset-response'; readonly afterBytes: number }
  /** Forward, then close the connection cleanly (FIN) after `afterBytes` bytes: a body shorter than announced. */
  | { readonly kind: 'truncate'; readonly afterBytes: number }
  /** Forward, then send nothing more after `afterBytes` bytes, keeping the connection open. */
  | { readonly kind: 'stall'; readonly afterBytes: number }
  /** Accept the request and never answer. */
  | { readonly kind: 'hang' }
  /** Forward, with the byte at `atByte` of the response body flipped (past the end: none), and `headers` added to the answer. */
  | { readonly kind: 'flip'; readonly atByte: number; readonly headers?: Readonly<Record<string, string>> };

/** One rule: which requests, how many of them, and what to do. */
export interface Fault {
  /** Which requests it applies to (default: all). */
  readonly match?: (request: SeenRequest) => boolean;
  /** Matching requests to let through untouched first (default 0). */
  readonly skip?: number;
  /** How many matching requests get the fault, after the skipped ones (default 1; Infinity for all). */
  readonly times?: number;
  readonly action: FaultAction;
}

/** Request matchers for the S3 calls the specs break. */
export const requests = {
  get: (r: SeenRequest): boolean => r.method === 'GET' && !r.url.includes('list-type') && !/\?(uploads|location)/.test(r.url) && !isBucketUrl(r.url),
  head: (r: SeenRequest): boolean => r.method === 'HEAD',
  list: (r: SeenRequest): boolean => r.method === 'GET' && r.url.includes('list-type=2'),
  put: (r: SeenRequest): boolean => r.method === 'PUT' && !r.url.includes('partNumber=') && r.headers['x-amz-copy-source'] === undefined,
  uploadPart: (r: SeenRequest): boolean => r.method === 'PUT' && r.url.includes('partNumber='),
  createUpload: (r: SeenRequest): boolean => r.method === 'POST' && /[?&]uploads(=|&|$)/.test(r.url),
  completeUpload: (r: SeenRequest): boolean => r.method === 'POST' && r.url.includes('uploadId='),
  copy: (r: SeenRequest): boolean => r.method === 'PUT' && r.headers['x-amz-copy-source'] !== undefined,
  deleteObject: (r: SeenRequest): boolean => r.method === 'DELETE' && !r.url.includes('uploadId='),
  abortUpload: (r: SeenRequest): boolean => r.method === 'DELETE' && r.url.includes('uploadId='),
};

function isBucketUrl(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path.split('/').filter((s) => s !== '').length <= 1;
}

/** The XML body S3 sends with an error answer. */
function errorXml(code: string, url: string): string {
  const messages: Record<string, string> = {
    SlowDown: 'Please reduce your request rate.',
    InternalError: 'We encountered an internal error. Please try again.',
    RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period.',
    ServiceUnavailable: 'Please reduce your request rate.',
  };
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${messages[code] ?? code}</Message><Resource>${url.split('?')[0] ?? ''}</Resource><RequestId>FAULTPROXY0001</RequestId></Error>`;
}

/** Where a {@link FaultProxy} forwards to, and what it keeps. */
export interface FaultProxyOptions {
  /** The server to forward to. Default: the test suite's server. */
  readonly upstream?: string;
  /** Keep every request in `seen` (default true); a long soak turns it off so the proxy's memory stays flat. */
  readonly record?: boolean;
}

/**
 * A loopback HTTP proxy in front of the test server that breaks requests as told: resets, S3 error answers,
 * truncated, stalled and corrupted bodies, a request body the server stops reading, a request never answered, and a restart (every connection cut, the port
 * refusing connections for a while). Configured per test with {@link FaultProxy.inject}; `reset()` between tests.
 */
export class FaultProxy {
  readonly seen: SeenRequest[] = [];
  private faults: Array<{ fault: Fault; matched: number; applied: number }> = [];
  private readonly sockets = new Set<Socket>();
  /** The most client connections open at once since the last {@link reset} (or the start). */
  peakConnections = 0;
  private readonly upstreamAgent = new Agent({ keepAlive: true });
  private http: Server | undefined;
  private port = 0;
  private readonly upstream: URL;
  private readonly record: boolean;

  private constructor(options: FaultProxyOptions) {
    this.upstream = new URL(options.upstream ?? server().endpoint);
    this.record = options.record ?? true;
  }

  /** Starts a proxy in front of the test server (or `options.upstream`), on a free port of 127.0.0.1. */
  static async start(options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await proxy.listen(0);
    return proxy;
  }

  /** The endpoint to give the client. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Adds a fault rule (rules are tried in order; a request gets the first that applies). */
  inject(...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ fault, matched: 0, applied: 0 });
  }

  /** How many times each rule was applied, in order. */
  get applied(): number[] {
    return this.faults.map((f) => f.applied);
  }

  /** Forgets the rules and the requests seen. */
  reset(): void {
    this.faults = [];
    this.seen.length = 0;
    this.peakConnections = this.sockets.size;
  }

  /** Requests seen that match. */
  count(match: (request: SeenRequest) => boolean): number {
    return this.seen.filter(match).length;
  }

  /** A server restart as the client sees it: every open connection is cut, and connections are refused for `downMs`. */
  async restart(downMs: number): Promise<void> {
    const http = this.http;
    this.http = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.listen(this.port);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.upstreamAgent.destroy();
    const http = this.http;
    this.http = undefined;
    await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
  }

  private async listen(port: number): Promise<void> {
    const http = createServer((req, res) => this.handle(req, res));
    http.keepAliveTimeout = 60_000;
    http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      this.peakConnections = Math.max(this.peakConnections, this.sockets.size);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (http.address() as AddressInfo).port;
    this.http = http;
  }

  private pick(request: SeenRequest): FaultAction | undefined {
    for (const entry of this.faults) {
      if (entry.fault.match !== undefined && !entry.fault.match(request)) continue;
      entry.matched += 1;
      if (entry.matched <= (entry.fault.skip ?? 0)) continue;
      if (entry.applied >= (entry.fault.times ?? 1)) continue;
      entry.applied += 1;
      return entry.fault.action;
    }
    return undefined;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const request: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    if (this.record) this.seen.push(request);
    const action = this.pick(request);
    const socket = req.socket;

    if (action?.kind === 'hang') {
      req.resume();
      return;
    }
    if (action?.kind === 'error') {
      req.resume();
      req.once('end', () => {
        const body = errorXml(action.code, request.url);
        res.writeHead(action.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': 'FAULTPROXY0001', ...action.headers });
        res.end(request.method === 'HEAD' ? undefined : body);
      });
      return;
    }

    const upstream = httpRequest(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: request.method,
        path: request.url,
        headers: req.headers,
        agent: this.upstreamAgent,
      },
      (answer) => this.respond(answer, res, socket, action),
    );
    upstream.on('error', () => socket.destroy());
    // One listener per request on a keep-alive connection: removed when the answer is done, or they pile up.
    const cut = (): void => {
      upstream.destroy();
    };
    socket.on('close', cut);
    res.once('close', () => {
      socket.removeListener('close', cut);
      if (!res.writableFinished) upstream.destroy();
    });

    if (action?.kind === 'stall-request') {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= action.afterBytes) req.pause();
      });
      return;
    }
    if (action?.kind === 'reset-request') {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        const room = action.afterBytes - received;
        received += chunk.length;
        if (room > 0) upstream.write(room >= chunk.length ? chunk : chunk.subarray(0, room));
        if (received >= action.afterBytes) {
          upstream.destroy();
          socket.resetAndDestroy();
        }
      });
      req.on('end', () => {
        if (received < action.afterBytes) upstream.end();
      });
      return;
    }
    req.pipe(upstream);
  }

  private respond(answer: IncomingMessage, res: ServerResponse, socket: Socket, action: FaultAction | undefined): void {
    const extra = action?.kind === 'flip' && action.headers !== undefined ? Object.entries(action.headers).flat() : [];
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, [...answer.rawHeaders, ...extra]);
    if (action === undefined || action.kind === 'hang' || action.kind === 'error' || action.kind === 'reset-request' || action.kind === 'stall-request') {
      answer.pipe(res);
      return;
    }
    let sent = 0;
    let stopped = false;
    answer.on('data', (chunk: Buffer) => {
      if (stopped) return;
      let out = chunk;
      if (action.kind === 'flip') {
        if (action.atByte >= sent && action.atByte < sent + chunk.length) {
          out = Buffer.from(chunk);
          out[action.atByte - sent] = out[action.atByte - sent]! ^ 0xff;
        }
        sent += chunk.length;
        if (!res.write(out)) answer.pause();
        return;
      }
      const room = action.afterBytes - sent;
      sent += chunk.length;
      if (room > 0 && !res.write(room >= chunk.length ? chunk : chunk.subarray(0, room))) answer.pause();
      if (sent < action.afterBytes) return;
      stopped = true;
      answer.destroy();
      if (action.kind === 'reset-response') {
        // Let the bytes already written leave before the reset. ('drain' alone is not enough: it fires only after a
        // write that filled the buffer, so a last write below the mark left the connection open, a stall.)
        const resetWhenFlushed = (): void => {
          if (socket.destroyed) return;
          if (res.writableLength === 0 && socket.writableLength === 0) socket.resetAndDestroy();
          else setTimeout(resetWhenFlushed, 1);
        };
        setImmediate(resetWhenFlushed);
      } else if (action.kind === 'truncate') {
        socket.end();
      }
      // stall: nothing more, the connection stays open until the client gives up
    });
    res.on('drain', () => answer.resume());
    answer.on('end', () => {
      if (!stopped) res.end();
    });
  }
}
