import type { ClientRequest } from 'node:http';
import { lookup } from 'node:dns';
import { connect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { tunnelsEverything, type ProxyServer } from './network';

/**
 * How a request goes through a forward proxy, on the wire: through an http(s) proxy an https request inside a
 * `CONNECT` tunnel ({@link openTunnel}) and a plain-http one in absolute form ({@link toAbsoluteForm}); through a
 * SOCKS proxy every request inside a SOCKS5 tunnel. Which proxy, if any, is `Network.proxyFor`'s decision; the
 * agents of lib/internal/timeouts.ts apply it.
 */

/** The longest answer a proxy may send to a tunnel's request before it is complete. */
const HEAD_LIMIT = 16 * 1024;

/** `host:port` as a request target (an IPv6 address in brackets). */
export function authorityOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * A proxy's refusal of a tunnel, shaped as the SDK shapes an HTTP error answer (`name`, `$fault`,
 * `$metadata.httpStatusCode`): the retry strategies treat a 5xx as transient (retried) and a 4xx as final;
 * `toS3Error` reads the status (a 407 is `AccessDenied`, with what to do). A SOCKS proxy's refusals take the
 * status of their HTTP counterpart (bad credentials 407, a ruleset's refusal 403).
 */
function refusal(proxy: ProxyServer, what: string, status: number, reason: string): Error {
  const message = tunnelsEverything(proxy)
    ? `the SOCKS proxy ${proxy.shown} refused ${what}: ${reason}`
    : `the proxy ${proxy.shown} answered ${status}${reason === '' ? '' : ` ${reason}`} to ${what}`;
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
 * A connection to the proxy: plain TCP for an `http://` or SOCKS proxy; for an `https://` one, TLS with its
 * certificate checked against its name (SNI for a host name) and the client's CAs. Emits `connect` (TCP) first, as
 * any socket; what is written before the TLS handshake ends is sent after it.
 */
export function connectToProxy(proxy: ProxyServer, options: ProxyConnectOptions): Socket {
  const tcp = { host: proxy.host, port: proxy.port, keepAlive: options.keepAlive, keepAliveInitialDelay: options.keepAliveInitialDelay, noDelay: options.noDelay };
  if (proxy.protocol !== 'https:') return connect(tcp);
  let secureContext: SecureContext | undefined;
  if (proxy.ca !== undefined) {
    secureContext = proxyContexts.get(proxy) ?? createSecureContext({ ca: proxy.ca as string | Buffer | Array<string | Buffer> });
    proxyContexts.set(proxy, secureContext);
  }
  return tlsConnect({ ...tcp, ...(isIP(proxy.host) === 0 ? { servername: proxy.host } : {}), ...(secureContext === undefined ? {} : { secureContext }), ALPNProtocols: ['http/1.1'] });
}

/** A tunnel's outcome, or undefined: called back once. */
type TunnelDone = (error: Error | undefined, socket?: Socket) => void;

/**
 * Opens a tunnel to `host:port` through the proxy: `CONNECT` for an http(s) proxy, the SOCKS5 handshake (RFC 1928,
 * with RFC 1929's user and password when the URL has them) for a SOCKS one. `done` gets the socket once the tunnel is
 * open (the caller speaks through it: TLS for https, plain HTTP for an http target through SOCKS), or the failure:
 * the connection's error, a refusal (see {@link refusal}; a SOCKS reply other than success is the network error it
 * names, `ECONNREFUSED`...), a proxy that closed before answering (`ECONNRESET`). Returns a cancel function: it
 * destroys the connection and fails the tunnel with `reason` (a connect timeout, an aborted request); after `done`,
 * it does nothing. No timer here: the caller's connect timeout cancels.
 */
export function openTunnel(request: TunnelRequest, done: TunnelDone): (reason: Error) => void {
  const { proxy } = request;
  if (proxy.protocol !== 'socks5:' || isIP(request.host) !== 0) return socksOrConnect(request, request.host, done);
  // socks5:// (not socks5h://): the target's name is resolved here, and the proxy is given the address.
  let cancelled: Error | undefined;
  let cancelTunnel: ((reason: Error) => void) | undefined;
  lookup(request.host, (error, address) => {
    if (cancelled !== undefined) return;
    if (error !== null) done(error);
    else cancelTunnel = socksOrConnect(request, address, done);
  });
  return (reason) => {
    if (cancelTunnel !== undefined) {
      cancelTunnel(reason);
    } else if (cancelled === undefined) {
      cancelled = reason;
      done(reason);
    }
  };
}

function socksOrConnect(request: TunnelRequest, host: string, done: TunnelDone): (reason: Error) => void {
  const { proxy } = request;
  const authority = authorityOf(request.host, request.port);
  const socket = connectToProxy(proxy, request);
  if (tunnelsEverything(proxy)) return dialogue(socket, proxy, `a SOCKS tunnel to ${authority}`, socksSteps(socket, proxy, host, request.port, authority), done);
  return dialogue(socket, proxy, `CONNECT ${authority}`, {
    greet: () => {
      const auth = proxy.authorization === undefined ? '' : `Proxy-Authorization: ${proxy.authorization}\r\n`;
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    },
    step: (head) => {
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const parsed = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
      if (parsed === null) return { used: end + 4, outcome: protocolError(`the proxy ${proxy.shown} answered CONNECT ${authority} with ${JSON.stringify(statusLine.slice(0, 100))}`) };
      const status = Number(parsed[1]);
      if (status < 200 || status > 299) return { used: end + 4, outcome: refusal(proxy, `CONNECT ${authority}`, status, parsed[2] ?? '') };
      return { used: end + 4, outcome: 'open' };
    },
  }, done);
}

/** One side of a tunnel's handshake: what to send first, and what each answer means (undefined: more bytes needed). */
interface Dialogue {
  readonly greet: () => void;
  readonly step: (received: Buffer) => { readonly used: number; readonly outcome?: Error | 'open' } | undefined;
}

/**
 * Drives a handshake on a fresh connection to a proxy: `greet` once connected, then `step` on what arrived until it
 * opens the tunnel (bytes past the handshake are kept for the caller: the target speaks after the client, so there
 * should be none) or fails. `what` names the tunnel in messages.
 */
function dialogue(socket: Socket, proxy: ProxyServer, what: string, steps: Dialogue, done: TunnelDone): (reason: Error) => void {
  let settled = false;
  let received = Buffer.alloc(0);
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
    finish(Object.assign(new Error(`the proxy ${proxy.shown} closed the connection before answering ${what}`), { code: 'ECONNRESET' }));
  };
  const onReadable = (): void => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null && !settled; chunk = socket.read() as Buffer | null) {
      received = Buffer.concat([received, chunk]);
      for (let next = steps.step(received); next !== undefined && !settled; next = received.length > 0 ? steps.step(received) : undefined) {
        received = received.subarray(next.used);
        if (next.outcome === 'open') {
          if (received.length > 0) socket.unshift(received);
          finish(undefined);
        } else if (next.outcome !== undefined) {
          finish(next.outcome);
        }
      }
      if (!settled && received.length > HEAD_LIMIT) finish(protocolError(`the proxy ${proxy.shown} sent no complete answer to ${what}`));
    }
  };
  socket.once('connect', steps.greet);
  socket.on('readable', onReadable);
  socket.on('error', finish);
  socket.on('close', onClose);
  return (reason) => finish(reason);
}

function protocolError(message: string): Error {
  return Object.assign(new Error(message), { code: 'EPROTO' });
}

/** What each SOCKS5 reply code means, as the network error a direct connection would have failed with. */
const SOCKS_REPLIES: Readonly<Record<number, { readonly said: string; readonly code: string }>> = {
  1: { said: 'general SOCKS server failure', code: 'ECONNRESET' },
  3: { said: 'network unreachable', code: 'ENETUNREACH' },
  4: { said: 'host unreachable', code: 'EHOSTUNREACH' },
  5: { said: 'connection refused', code: 'ECONNREFUSED' },
  6: { said: 'TTL expired', code: 'ETIMEDOUT' },
  7: { said: 'command not supported', code: 'EPROTO' },
  8: { said: 'address type not supported', code: 'EPROTO' },
};

/**
 * The client's side of RFC 1928's handshake: offer no authentication (and user/password when the URL has them),
 * authenticate if the proxy chose it (RFC 1929), then CONNECT to the target by name (socks5h) or address.
 * A refused authentication is a 407-shaped refusal (`AccessDenied`), a ruleset's refusal (reply 2) a 403-shaped one;
 * other failures are the network errors they name.
 */
function socksSteps(socket: Socket, proxy: ProxyServer, host: string, port: number, authority: string): Dialogue {
  const credentials = proxy.credentials;
  let phase: 'method' | 'auth' | 'connect' = 'method';
  const sendConnect = (): void => {
    const type = isIP(host);
    const address = type === 4 ? Buffer.from(host.split('.').map(Number))
      : type === 6 ? ipv6Bytes(host)
        : Buffer.concat([Buffer.from([Buffer.byteLength(host)]), Buffer.from(host)]);
    const portBytes = Buffer.from([port >> 8, port & 0xff]);
    socket.write(Buffer.concat([Buffer.from([5, 1, 0, type === 4 ? 1 : type === 6 ? 4 : 3]), address, portBytes]));
    phase = 'connect';
  };
  return {
    greet: () => {
      socket.write(Buffer.from(credentials === undefined ? [5, 1, 0] : [5, 2, 0, 2]));
    },
    step: (received) => {
      if (phase === 'method') {
        if (received.length < 2) return undefined;
        if (received[0] !== 5) return { used: 2, outcome: protocolError(`the proxy ${proxy.shown} does not speak SOCKS5`) };
        const method = received[1];
        if (method === 0) {
          sendConnect();
        } else if (method === 2 && credentials !== undefined) {
          const user = Buffer.from(credentials.user);
          const password = Buffer.from(credentials.password);
          if (user.length > 255 || password.length > 255) return { used: 2, outcome: protocolError(`the user or password for the proxy ${proxy.shown} is longer than SOCKS allows (255 bytes)`) };
          socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]));
          phase = 'auth';
        } else {
          return { used: 2, outcome: refusal(proxy, `a SOCKS tunnel to ${authority}`, 407, 'no acceptable authentication method') };
        }
        return { used: 2 };
      }
      if (phase === 'auth') {
        if (received.length < 2) return undefined;
        if (received[1] !== 0) return { used: 2, outcome: refusal(proxy, `a SOCKS tunnel to ${authority}`, 407, 'the user and password were refused') };
        sendConnect();
        return { used: 2 };
      }
      // The CONNECT reply: version, reply, reserved, the bound address (by its type) and port.
      if (received.length < 5) return undefined;
      const length = 4 + (received[3] === 1 ? 4 : received[3] === 4 ? 16 : 1 + received[4]!) + 2;
      if (received.length < length) return undefined;
      const reply = received[1]!;
      if (reply === 0) return { used: length, outcome: 'open' };
      if (reply === 2) return { used: length, outcome: refusal(proxy, `a SOCKS tunnel to ${authority}`, 403, 'connection not allowed by ruleset') };
      const meaning = SOCKS_REPLIES[reply] ?? { said: `reply ${reply}`, code: 'EPROTO' };
      return { used: length, outcome: Object.assign(new Error(`the SOCKS proxy ${proxy.shown} could not open a tunnel to ${authority}: ${meaning.said}`), { code: meaning.code }) };
    },
  };
}

/** An IPv6 address's 16 bytes (`::` expanded). */
function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const words = (part: string): number[] => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const first = words(head);
  const last = tail === undefined ? [] : words(tail);
  const all = [...first, ...new Array<number>(8 - first.length - last.length).fill(0), ...last];
  const bytes = Buffer.alloc(16);
  all.forEach((word, i) => bytes.writeUInt16BE(word, i * 2));
  return bytes;
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
