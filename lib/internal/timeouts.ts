import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent, type AgentOptions, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { createConnection, type NetConnectOpts, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { CONFIGURATION_ERROR, type ErrorContext, type S3Error } from '../errors';
import { DIRECT, tunnelsEverything, type CaBundle, type Network, type ProxyServer } from './network';
import { connectToProxy, openTunnel, toAbsoluteForm } from './proxy-wire';
import { checkCount, firstProblem } from './validate';

/**
 * Timeouts, in milliseconds: `timeouts` in {@link RxS3Options} (the client's defaults) and in the options of
 * each operation (for one call; what it leaves out comes from the client). `0` turns one off.
 *
 * - `connectMs`: how long a new connection may take to open. Default 10,000.
 * - `idleMs`: how long a request may go without sending or receiving a byte, from the moment it has a socket
 *   until its response body ended (a body that stops flowing counts; a body you are slow to read does not).
 *   Default 30,000.
 * - `deadlineMs`: how long a whole operation may take, retries and clean-up included. No default.
 *
 * A connect or idle timeout fails that request's attempt: it is retried like a reset connection (the SDK's
 * `maxAttempts`; a download resumes at the byte it reached; a part is sent again from its buffer), and after the
 * last attempt the operation emits one `Err` of kind `Timeout`. A deadline aborts the operation, cleans up (no
 * multipart upload, no temp file left) and emits one `Err` of kind `Timeout`. Never an `error` notification.
 *
 * @example
 * ```ts
 * const rx = new RxS3({ timeouts: { connectMs: 5_000, idleMs: 15_000 } });
 * rx.uploadFile('backups', 'db.dump', './db.dump', { timeouts: { deadlineMs: 10 * 60_000 } })
 *   .subscribe((r) => r.err && r.val.kind === 'Timeout' && console.error(r.val.message));
 * ```
 */
export interface TimeoutOptions {
  readonly connectMs?: number;
  readonly idleMs?: number;
  readonly deadlineMs?: number;
}

/**
 * The `timeouts` option of an operation, documented once for all of them: every operation that sends requests
 * takes it in its options (the last argument), and checks it before any request (`InvalidInput`).
 *
 * @example
 * ```ts
 * rx.getObjectMetadata('photos', 'cat.jpg', { timeouts: { idleMs: 2_000, deadlineMs: 5_000 } })
 *   .subscribe((r) => r.err && r.val.kind === 'Timeout' && console.error('no answer in time'));
 * ```
 */
export interface CallOptions {
  /**
   * Timeouts of this call (over the client's `timeouts`), and its deadline: see {@link TimeoutOptions}. For an
   * operation made of several requests or operations (a listing, a move, a bulk job), connect and idle timeouts
   * apply to each request, and the deadline to the whole.
   */
  readonly timeouts?: TimeoutOptions;
}

/** The default connect timeout: 10 s. */
export const DEFAULT_CONNECT_MS = 10_000;
/** The default idle timeout: 30 s without a byte sent or received. */
export const DEFAULT_IDLE_MS = 30_000;
/** The default number of connections per host (and protocol), the SDK's own default: 50. */
export const DEFAULT_MAX_SOCKETS = 50;

export interface SocketLimits {
  readonly connectMs: number;
  readonly idleMs: number;
}

/** The per-call limits of the operation running in this async context (set by the Observable builder). */
const callLimits = new AsyncLocalStorage<Partial<SocketLimits>>();

/** Runs `run` with per-call connect/idle timeouts for every request it sends (retries included). */
export function withCallTimeouts<T>(timeouts: TimeoutOptions | undefined, run: () => T): T {
  if (timeouts === undefined || (timeouts.connectMs === undefined && timeouts.idleMs === undefined)) return run();
  const limits: { connectMs?: number; idleMs?: number } = { ...callLimits.getStore() };
  if (timeouts.connectMs !== undefined) limits.connectMs = timeouts.connectMs;
  if (timeouts.idleMs !== undefined) limits.idleMs = timeouts.idleMs;
  return callLimits.run(limits, run);
}

/**
 * Captures the caller's scope (taken at subscribe): values emitted from inside an operation run in it, so an
 * operation a subscriber starts from its `next` does not inherit the emitting operation's per-call timeouts.
 */
export function callerScope(): <T>(run: () => T) => T {
  const store = callLimits.getStore();
  return (run) => (store === undefined ? callLimits.exit(run) : callLimits.run(store, run));
}

/** A request that hit a timeout fails with this: the SDK retries it (`TimeoutError`), rx-s3 reports `Timeout`. */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}

/**
 * Watches one request: a connect timer while its socket connects, then an idle watchdog on the socket (Node's
 * socket timeout, refreshed by every read and write) until the request closed (its response ended). An idle
 * socket whose reader is behind (the socket paused by backpressure) is not a stall: the watchdog waits again.
 */
function watch(req: ClientRequest, limits: SocketLimits): void {
  let response: IncomingMessage | undefined;
  let connectTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const fail = (message: string): void => {
    const error = timeoutError(message);
    if (response === undefined) {
      req.destroy(error); // the SDK's attempt fails with it (and is retried)
      return;
    }
    // The body's reader sees the error (a stream keeps it: a reader that comes later sees it too); without a
    // reader yet, it must not become an uncaught 'error' event.
    if (response.listenerCount('error') === 0) response.once('error', () => undefined);
    response.destroy(error);
    req.destroy();
  };
  req.once('response', (res: IncomingMessage) => {
    response = res;
  });
  req.once('socket', (socket: Socket) => {
    if (closed) return;
    const onIdle = (): void => {
      if (response?.complete === true) return;
      const behind = socket.isPaused() || (response !== undefined && response.readableLength >= response.readableHighWaterMark);
      if (behind) {
        socket.setTimeout(limits.idleMs);
        return;
      }
      fail(`no byte sent or received for ${limits.idleMs} ms`);
    };
    // A reader that starts reading again restarts the clock: the idle time so far was its own, not the network's.
    const onResume = (): void => {
      socket.setTimeout(limits.idleMs);
    };
    const armIdle = (): void => {
      if (closed || limits.idleMs <= 0) return;
      socket.setTimeout(limits.idleMs);
      socket.on('timeout', onIdle);
      socket.on('resume', onResume);
    };
    req.once('close', () => {
      closed = true;
      clearTimeout(connectTimer);
      socket.removeListener('timeout', onIdle);
      socket.removeListener('resume', onResume);
    });
    if (socket.connecting) {
      if (limits.connectMs > 0) connectTimer = setTimeout(() => fail(`could not connect within ${limits.connectMs} ms`), limits.connectMs);
      socket.once('connect', () => {
        clearTimeout(connectTimer);
        armIdle();
      });
    } else {
      armIdle();
    }
  });
}

type AddRequest = (this: HttpAgent, req: ClientRequest, options: unknown) => void;
type CreateSocket = (this: HttpAgent, req: ClientRequest, options: unknown, cb: unknown) => void;
type OnCreate = (error: Error | null, socket?: Duplex) => void;

function limitsFor(defaults: SocketLimits): SocketLimits {
  const call = callLimits.getStore();
  return { connectMs: call?.connectMs ?? defaults.connectMs, idleMs: call?.idleMs ?? defaults.idleMs };
}

/**
 * The connect and idle limits a request sent now would get from `agent` (the client's defaults, over the call's
 * own): for connections rx-s3 opens itself, outside the agent (the lean data plane's socket reader). An agent
 * that is not rx-s3's gets the defaults.
 */
export function socketLimitsOf(agent: unknown): SocketLimits {
  const defaults = agent instanceof WatchedHttpAgent || agent instanceof WatchedHttpsAgent ? agent.defaults : { connectMs: DEFAULT_CONNECT_MS, idleMs: DEFAULT_IDLE_MS };
  return limitsFor(defaults);
}

/**
 * How many connections per host `agent` allows, for the connections rx-s3 opens itself beside it (the lean data
 * plane's pools): its `maxSockets`, or {@link DEFAULT_MAX_SOCKETS} when that is unbounded (Node's own default).
 */
export function maxSocketsOf(agent: unknown): number {
  const n = (agent as { maxSockets?: unknown } | undefined)?.maxSockets;
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? Math.floor(n) : DEFAULT_MAX_SOCKETS;
}

/**
 * Whether a connection to `host:port` must go through `agent` rather than a socket rx-s3 opens itself (the lean
 * data plane's socket reader): rx-s3's agent sends it through a proxy, or has a proxy or CA problem to report. Node's
 * own `Agent` (the SDK's default) connects directly: false. Any other agent (a proxy agent of the user's...) may
 * do anything: true.
 */
export function needsAgent(agent: unknown, secure: boolean, host: string, port: number): boolean {
  if (agent instanceof WatchedHttpAgent || agent instanceof WatchedHttpsAgent) {
    return agent.network.problem !== undefined || agent.network.proxyFor(secure, host, port) !== undefined;
  }
  const plain = agent instanceof HttpAgent && (agent.constructor === HttpAgent || agent.constructor === HttpsAgent);
  return !plain;
}

/** The CAs rx-s3's https agent trusts (the client's `ca` or AWS_CA_BUNDLE), kept apart from its options; else undefined. */
export function agentCa(agent: unknown): CaBundle | undefined {
  return agent instanceof WatchedHttpsAgent ? agent.network.ca : undefined;
}

/** Where the agent's `createSocket` leaves the request a connection is made for. */
const REQUEST = Symbol('rxS3Request');

/** The per-request options the agents see (the fields they read). */
interface ConnectOptions {
  host?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  noDelay?: boolean;
  secureContext?: SecureContext;
  [REQUEST]?: ClientRequest;
}

/** The limits `addRequest` gave each request (for the connect timeout of a proxy tunnel). */
const requestLimits = new WeakMap<ClientRequest, SocketLimits>();

function targetOf(options: ConnectOptions, defaultPort: number): { host: string; port: number } {
  const host = options.host ?? options.hostname ?? 'localhost';
  const port = options.port === undefined || options.port === null || options.port === '' ? defaultPort : Number(options.port);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/** What every request of an agent with a configuration problem fails with: `InvalidInput` (`InvalidConfiguration`). */
function configurationError(problem: string): Error {
  return Object.assign(new Error(`invalid RxS3 configuration: ${problem}`), { name: CONFIGURATION_ERROR });
}

/**
 * Opens the connection of a request to a target reached through a tunnel (`CONNECT` through an http(s) proxy, or
 * any target through a SOCKS one: see {@link openTunnel}) and hands `wrap(socket)` to `oncreate` (TLS for https,
 * the tunnel itself for http). The request's connect timeout covers the connection to the proxy and the tunnel's
 * opening; a request destroyed meanwhile (an abort) closes the tunnel at once.
 */
function throughTunnel(
  options: ConnectOptions,
  target: { host: string; port: number },
  proxy: ProxyServer,
  defaults: SocketLimits,
  oncreate: OnCreate,
  wrap: (socket: Socket) => Duplex,
): undefined {
  const req = options[REQUEST];
  const limits = (req === undefined ? undefined : requestLimits.get(req)) ?? limitsFor(defaults);
  let timer: NodeJS.Timeout | undefined;
  const cancel = openTunnel({ proxy, ...target, keepAlive: options.keepAlive, keepAliveInitialDelay: options.keepAliveInitialDelay, noDelay: options.noDelay }, (error, socket) => {
    clearTimeout(timer);
    if (req !== undefined) delete (req as { destroy?: unknown }).destroy;
    if (error !== undefined || socket === undefined) oncreate(error ?? new Error('no tunnel'));
    else oncreate(null, wrap(socket));
  });
  if (limits.connectMs > 0) {
    timer = setTimeout(() => cancel(timeoutError(`could not connect through the proxy ${proxy.shown} within ${limits.connectMs} ms`)), limits.connectMs);
  }
  // A request destroyed while its tunnel is opening has no socket to destroy yet: close the tunnel too, so its error
  // and 'close' come now rather than when the proxy answers.
  if (req !== undefined) {
    const destroy = req.destroy.bind(req);
    Object.defineProperty(req, 'destroy', {
      configurable: true,
      writable: true,
      value: (error?: Error) => {
        cancel(error ?? Object.assign(new Error('the request was destroyed while its proxy tunnel was opening'), { code: 'ECONNABORTED' }));
        return destroy(error);
      },
    });
  }
  return undefined;
}

/** What both agents do for each request they serve: watch it, and note its limits for a tunnel's connect timeout. */
function served(req: ClientRequest, defaults: SocketLimits): void {
  const limits = limitsFor(defaults);
  requestLimits.set(req, limits);
  watch(req, limits);
}

/**
 * The client's HTTP agent: keep-alive (like the SDK's own) plus the watchdogs above on every request, and the
 * client's proxy: a request to a target behind an http(s) proxy is sent in absolute form to the proxy (see
 * {@link toAbsoluteForm}; over TLS to an `https://` one), and through a SOCKS proxy in a tunnel.
 */
class WatchedHttpAgent extends HttpAgent {
  constructor(options: AgentOptions, readonly defaults: SocketLimits, readonly network: Network) {
    super(options);
  }

  /** Node's (undocumented) hook for every request the agent serves; runs in the request's async context. */
  addRequest(req: ClientRequest, options: ConnectOptions): void {
    served(req, this.defaults);
    const target = targetOf(options, 80);
    const proxy = this.network.problem === undefined ? this.network.proxyFor(false, target.host, target.port) : undefined;
    if (proxy !== undefined && !tunnelsEverything(proxy)) toAbsoluteForm(req, target, proxy);
    (HttpAgent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, req, options);
  }

  /** Node's (undocumented) step before `createConnection`: the one place that knows which request a connection is for. */
  createSocket(req: ClientRequest, options: ConnectOptions, cb: unknown): void {
    (HttpAgent.prototype as unknown as { createSocket: CreateSocket }).createSocket.call(this, req, { ...options, [REQUEST]: req }, cb);
  }

  override createConnection(options: ConnectOptions, oncreate: OnCreate): Duplex | undefined {
    if (this.network.problem !== undefined) {
      process.nextTick(oncreate, configurationError(this.network.problem));
      return undefined;
    }
    const target = targetOf(options, 80);
    const proxy = this.network.proxyFor(false, target.host, target.port);
    if (proxy === undefined) return createConnection(options as NetConnectOpts);
    if (tunnelsEverything(proxy)) return throughTunnel(options, target, proxy, this.defaults, oncreate, (socket) => socket);
    // The request (in absolute form) goes to the proxy (over TLS to an https:// one); the watchdogs see this socket
    // connect as any other.
    return connectToProxy(proxy, options);
  }
}

/**
 * The same for https, with the client's CAs (one TLS context, built at the first connection), and its proxy: a
 * connection to a proxied target is a tunnel (`CONNECT`, or SOCKS: see {@link openTunnel}) with TLS over it, kept
 * alive and reused per target like any other. The connect timeout covers the connection to the proxy and its answer.
 */
class WatchedHttpsAgent extends HttpsAgent {
  private context: SecureContext | undefined;

  constructor(options: HttpsAgentOptions, readonly defaults: SocketLimits, readonly network: Network) {
    super(options);
  }

  addRequest(req: ClientRequest, options: unknown): void {
    served(req, this.defaults);
    (HttpsAgent.prototype as unknown as { addRequest: AddRequest }).addRequest.call(this, req, options);
  }

  /** As the HTTP agent's. */
  createSocket(req: ClientRequest, options: ConnectOptions, cb: unknown): void {
    (HttpsAgent.prototype as unknown as { createSocket: CreateSocket }).createSocket.call(this, req, { ...options, [REQUEST]: req }, cb);
  }

  override createConnection(options: ConnectOptions, oncreate: OnCreate): Duplex | undefined {
    const network = this.network;
    if (network.problem !== undefined) {
      process.nextTick(oncreate, configurationError(network.problem));
      return undefined;
    }
    if (network.ca !== undefined) {
      this.context ??= createSecureContext({ ca: network.ca as string | Buffer | Array<string | Buffer> });
      options.secureContext = this.context;
    }
    const target = targetOf(options, 443);
    const proxy = network.proxyFor(true, target.host, target.port);
    const tls = (more: { socket?: Duplex }): Duplex =>
      (HttpsAgent.prototype.createConnection as (this: HttpsAgent, o: unknown) => Duplex).call(this, { ...options, ...more });
    if (proxy === undefined) return tls({});
    return throughTunnel(options, target, proxy, this.defaults, oncreate, (socket) => tls({ socket }));
  }
}

/**
 * The `requestHandler` options of an `S3Client` with rx-s3's timeouts, proxy and CAs: agents that watch every
 * request. The SDK builds its usual `NodeHttpHandler` from them.
 */
export function watchedHandlerOptions(
  timeouts: TimeoutOptions | undefined,
  network: Network = DIRECT,
  maxSockets = DEFAULT_MAX_SOCKETS,
): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const defaults: SocketLimits = {
    connectMs: timeouts?.connectMs ?? DEFAULT_CONNECT_MS,
    idleMs: timeouts?.idleMs ?? DEFAULT_IDLE_MS,
  };
  const agent = { keepAlive: true, maxSockets };
  return { httpAgent: new WatchedHttpAgent(agent, defaults, network), httpsAgent: new WatchedHttpsAgent(agent, defaults, network) };
}

/** Checks timeout values (whole milliseconds, 0 or more) before any request: the first problem, or undefined. */
export function checkTimeouts(timeouts: TimeoutOptions | undefined, context: ErrorContext): S3Error | undefined {
  if (timeouts === undefined) return undefined;
  return firstProblem(...(['connectMs', 'idleMs', 'deadlineMs'] as const).map((name) =>
    timeouts[name] === undefined ? undefined : checkCount(timeouts[name], `timeouts.${name}`, context, 0)));
}
