import type { ClientRequest } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import type { ProxyServer } from './network';

/**
 * How a request goes through a forward proxy, on the wire: an https request inside a `CONNECT` tunnel
 * ({@link openTunnel}), a plain-http one in absolute form ({@link toAbsoluteForm}). Which proxy, if any, is
 * `Network.proxyFor`'s decision; the agents of lib/internal/timeouts.ts apply it.
 */

/** The longest answer head a proxy may send to CONNECT. */
const HEAD_LIMIT = 16 * 1024;

/** `host:port` as a request target (an IPv6 address in brackets). */
export function authorityOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * A proxy's refusal of CONNECT, shaped as the SDK shapes an HTTP error answer (`name`, `$fault`,
 * `$metadata.httpStatusCode`): the retry strategies treat a 5xx as transient (retried) and a 4xx as final;
 * `toS3Error` reads the status (a 407 is `AccessDenied`, with what to do).
 */
function refusal(proxy: ProxyServer, authority: string, status: number, reason: string): Error {
  const message = `the proxy ${proxy.shown} answered ${status}${reason === '' ? '' : ` ${reason}`} to CONNECT ${authority}`;
  return Object.assign(new Error(message), {
    name: status === 407 ? 'ProxyAuthenticationRequired' : 'ProxyConnectFailed',
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

/** The TCP options of a connection to a proxy (the agent's, per connection). */
export interface ProxyConnectOptions {
  readonly keepAlive?: boolean;
  readonly keepAliveInitialDelay?: number;
  readonly noDelay?: boolean;
}

/** What a tunnel is opened with: the proxy, the target, and the TCP options of the connection to the proxy. */
export interface TunnelRequest extends ProxyConnectOptions {
  readonly proxy: ProxyServer;
  readonly host: string;
  readonly port: number;
}

/** One TLS context per `https://` proxy with CAs of the client's (a large bundle costs milliseconds to parse). */
const proxyContexts = new WeakMap<ProxyServer, SecureContext>();

/**
 * A connection to the proxy: plain TCP for an `http://` proxy; for an `https://` one, TLS with its certificate
 * checked against its name (SNI for a host name) and the client's CAs. Emits `connect` (TCP) first, as any socket;
 * what is written before the TLS handshake ends is sent after it.
 */
export function connectToProxy(proxy: ProxyServer, options: ProxyConnectOptions): Socket {
  const tcp = { host: proxy.host, port: proxy.port, keepAlive: options.keepAlive, keepAliveInitialDelay: options.keepAliveInitialDelay, noDelay: options.noDelay };
  if (!proxy.secure) return connect(tcp);
  let secureContext: SecureContext | undefined;
  if (proxy.ca !== undefined) {
    secureContext = proxyContexts.get(proxy) ?? createSecureContext({ ca: proxy.ca as string | Buffer | Array<string | Buffer> });
    proxyContexts.set(proxy, secureContext);
  }
  return tlsConnect({ ...tcp, ...(isIP(proxy.host) === 0 ? { servername: proxy.host } : {}), ...(secureContext === undefined ? {} : { secureContext }), ALPNProtocols: ['http/1.1'] });
}

/**
 * Opens a `CONNECT` tunnel to `host:port` through the proxy: `done` gets the socket once the proxy answered 2xx
 * (TLS then runs over it), or the failure: the connection's error, a refusal (see {@link refusal}), a proxy that
 * closed before answering (`ECONNRESET`). Returns a cancel function: it destroys the connection and fails the
 * tunnel with `reason` (a connect timeout, an aborted request); after `done`, it does nothing. No timer here:
 * the caller's connect timeout cancels.
 */
export function openTunnel(request: TunnelRequest, done: (error: Error | undefined, socket?: Socket) => void): (reason: Error) => void {
  const { proxy } = request;
  const authority = authorityOf(request.host, request.port);
  const socket = connectToProxy(proxy, request);
  let settled = false;
  let head = Buffer.alloc(0);
  const finish = (error: Error | undefined): void => {
    if (settled) return;
    settled = true;
    socket.removeListener('readable', onReadable);
    socket.removeListener('error', finish);
    socket.removeListener('close', onClose);
    if (error !== undefined) {
      socket.destroy();
      done(error);
    } else {
      done(undefined, socket);
    }
  };
  const onClose = (): void => {
    finish(Object.assign(new Error(`the proxy ${proxy.shown} closed the connection before answering CONNECT ${authority}`), { code: 'ECONNRESET' }));
  };
  const onReadable = (): void => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > HEAD_LIMIT) finish(Object.assign(new Error(`the proxy ${proxy.shown} sent no complete answer to CONNECT ${authority}`), { code: 'EPROTO' }));
        continue;
      }
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const parsed = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (parsed === null) {
        finish(Object.assign(new Error(`the proxy ${proxy.shown} answered CONNECT ${authority} with ${JSON.stringify(statusLine.slice(0, 100))}`), { code: 'EPROTO' }));
        return;
      }
      const status = Number(parsed[1]);
      if (status < 200 || status > 299) {
        finish(refusal(proxy, authority, status, parsed[2] ?? ''));
        return;
      }
      // The target speaks after the client (TLS): bytes past the head would be the proxy's mistake, but are kept.
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      finish(undefined);
      return;
    }
  };
  socket.once('connect', () => {
    const auth = proxy.authorization === undefined ? '' : `Proxy-Authorization: ${proxy.authorization}\r\n`;
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  });
  socket.on('readable', onReadable);
  socket.on('error', finish);
  socket.on('close', onClose);
  return (reason) => finish(reason);
}

/** The internals of a `ClientRequest` the absolute form needs (the ones http-proxy-agent uses). */
interface RequestInternals {
  _header: string | null;
  _headerSent: boolean;
  outputData?: Array<{ data: unknown }>;
  outputSize?: number;
  _implicitHeader(): void;
}

/**
 * Makes a plain-http request go to a proxy: its request target becomes the absolute URL (`GET http://host:port/path`,
 * from its `Host` header, which is what was signed), with `Proxy-Authorization` when the proxy has credentials.
 * Called from the agent's `addRequest`, in the request's constructor: headers not yet rendered are rendered later
 * with the new target; headers the constructor already rendered and queued (it does so for
 * `Expect: 100-continue`) are taken out of the queue and rendered again (no body was written yet).
 */
export function toAbsoluteForm(req: ClientRequest, target: { host: string; port: number }, proxy: ProxyServer): void {
  const host = req.getHeader('host');
  const authority = typeof host === 'string' && host !== '' ? host : authorityOf(target.host, target.port);
  const internals = req as unknown as RequestInternals;
  const old = internals._header;
  const rendered = typeof old === 'string';
  if (rendered) {
    const first = internals.outputData?.[0];
    if (first !== undefined && typeof first.data === 'string' && first.data.startsWith(old)) {
      first.data = first.data.slice(old.length);
      if (first.data === '') internals.outputData!.shift();
      if (internals.outputSize !== undefined) internals.outputSize -= old.length;
    }
    internals._header = null;
    internals._headerSent = false;
  }
  req.path = `http://${authority}${req.path.startsWith('/') ? '' : '/'}${req.path}`;
  if (proxy.authorization !== undefined) req.setHeader('proxy-authorization', proxy.authorization);
  if (rendered) internals._implicitHeader();
}
