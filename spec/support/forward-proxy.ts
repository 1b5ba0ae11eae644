import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { pipeline } from 'node:stream';

/** A request the proxy forwarded in absolute form. */
export interface Forwarded {
  readonly method: string;
  /** The absolute URL as the client sent it. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A CONNECT the proxy received (answered or refused). */
export interface Tunnel {
  /** `host:port` as the client asked. */
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

/** How a {@link ForwardProxy} behaves. */
export interface ForwardProxyOptions {
  /** `user:password` the proxy requires (Basic); without it, or wrong, the answer is 407. */
  readonly auth?: string;
  /** Accept TCP connections and never answer a byte (a stalled proxy). */
  readonly silent?: boolean;
  /**
   * Where the proxy sends a target port instead (`{ [askedPort]: realPort }`, on 127.0.0.1): a client whose endpoint
   * names a port where nothing listens then succeeds only through the proxy (a direct connection is refused).
   */
  readonly portMap?: Readonly<Record<number, number>>;
  /** Serve as an `https://` proxy with this certificate and key (PEM): clients speak TLS to the proxy itself. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/**
 * A small real forward proxy on 127.0.0.1 for specs: CONNECT tunnels (answered 200 once the target accepted, 502 if
 * it refused) and absolute-form requests forwarded on keep-alive connections, with what it saw recorded; optional
 * Basic authentication (407); a silent mode that accepts connections and never answers.
 */
export class ForwardProxy {
  /** Absolute-form requests forwarded (or refused with 407), in order. */
  readonly forwarded: Forwarded[] = [];
  /** CONNECT requests received, in order. */
  readonly tunnels: Tunnel[] = [];
  /** TCP connections accepted so far. */
  accepted = 0;
  private readonly open = new Set<Socket>();
  private readonly upstream = new Agent({ keepAlive: true });

  private constructor(private readonly server: Server | NetServer, private readonly options: ForwardProxyOptions) {}

  static async start(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
    let proxy: ForwardProxy;
    if (options.silent === true) {
      // Reads and drops what comes (so a client's close is seen), answers nothing.
      proxy = new ForwardProxy(createNetServer((socket) => socket.resume()), options);
    } else {
      const server = options.tls === undefined ? createServer({ keepAlive: true }) : createHttpsServer({ keepAlive: true, ...options.tls });
      server.on('tlsClientError', () => undefined);
      proxy = new ForwardProxy(server, options);
      server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.forward(req, res));
      server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => proxy.tunnel(req, socket, head));
    }
    proxy.server.on('connection', (socket: Socket) => {
      proxy.accepted += 1;
      proxy.open.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => proxy.open.delete(socket));
    });
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:port` (`https://` with `tls`), with `user:password@` when given. */
  url(credentials?: string): string {
    return `${this.options.tls === undefined ? 'http' : 'https'}://${credentials === undefined ? '' : `${credentials}@`}127.0.0.1:${this.port}`;
  }

  /** Client connections open now (tunnels included). */
  get openConnections(): number {
    return this.open.size;
  }

  reset(): void {
    this.forwarded.length = 0;
    this.tunnels.length = 0;
    this.accepted = 0;
  }

  async stop(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    this.upstream.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private authorized(headers: IncomingHttpHeaders): boolean {
    if (this.options.auth === undefined) return true;
    return headers['proxy-authorization'] === `Basic ${Buffer.from(this.options.auth).toString('base64')}`;
  }

  private where(host: string, port: number): { host: string; port: number } {
    return { host, port: this.options.portMap?.[port] ?? port };
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    const target = req.url ?? '';
    this.tunnels.push({ target, headers: req.headers });
    if (!this.authorized(req.headers)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="spec"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    if (match === null) {
      client.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const { host, port } = this.where(match[1]!, Number(match[2]));
    const server = connect(port, host);
    let established = false;
    server.once('connect', () => {
      established = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) server.write(head);
      server.pipe(client);
      client.pipe(server);
    });
    server.once('error', () => {
      if (!established) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      else client.destroy();
    });
    client.once('close', () => server.destroy());
    server.once('close', () => {
      if (established) client.destroy();
    });
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    this.forwarded.push({ method: req.method ?? '', url, headers: req.headers });
    if (!this.authorized(req.headers)) {
      req.resume();
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="spec"', 'content-length': '0' }).end();
      return;
    }
    if (!/^http:\/\//.test(url)) {
      req.resume();
      res.writeHead(400, { 'content-length': '0' }).end();
      return;
    }
    const target = new URL(url);
    const { host, port } = this.where(target.hostname, Number(target.port === '' ? 80 : target.port));
    const headers = { ...req.headers };
    for (const name of ['proxy-authorization', 'proxy-connection', 'connection', 'keep-alive', 'expect']) delete headers[name];
    const out = request({ host, port, method: req.method, path: `${target.pathname}${target.search}`, headers, agent: this.upstream }, (answer) => {
      const back = { ...answer.headers };
      for (const name of ['connection', 'keep-alive', 'transfer-encoding']) delete back[name];
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, back);
      pipeline(answer, res, () => undefined);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-length': '0' }).end();
      else res.destroy();
    });
    pipeline(req, out, () => undefined);
  }
}

/** A TCP port on 127.0.0.1 where nothing listens (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
