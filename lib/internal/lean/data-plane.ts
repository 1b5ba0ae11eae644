import { request as httpRequest, type Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { text } from 'node:stream/consumers';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type GetObjectCommandOutput,
  type HeadObjectCommandOutput,
  type PutObjectCommandOutput,
  type S3Client,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { getEndpointFromInstructions } from '@smithy/core/endpoints';
import { getRetryAfterHint, isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import { BODY_SLICE, requestBodyCounter } from '../counting-body';
import { sha256Hex } from '../digest-workers';
import { Crc32, crc32Checked } from '../integrity';
import type { PartCounter } from '../progress';
import {
  LEAN_COMMAND_MIDDLEWARE,
  sdkHandle,
  dataPlaneMode,
  endpointRefusal,
  refusal,
  watchMiddleware,
  type ClientFacts,
  type DataPlaneMode,
  type PayloadSigning,
} from './eligibility';
import { hostOf, portOf } from '../network';
import { agentCa, maxSocketsOf, needsAgent, socketLimitsOf } from '../timeouts';
import { exchange as exchangeOnSocket, getIntoFile, SocketPool, type FileTarget, type GetIntoFileResult, type SignedGet, type SignedRequest, type SocketLimits, type WrittenCallback } from './socket-reader';
import { signV4, type SigV4Credentials } from './sigv4';
import { TlsWorkerPool, tlsWorkerCount, workerTlsOptions } from './tls-workers';
import { METHOD, keyPath, metadataOf, outputOf, queryString, serialize, serviceError, unknownField, type LeanCommandName, type ResponseMetadata, type WireRequest } from './wire';

/** The commands of the data plane. */
export type DataCommand = GetObjectCommand | HeadObjectCommand | PutObjectCommand | UploadPartCommand;

/** Options of one data-plane request, as for `client.send`. */
export interface DataSendOptions {
  readonly abortSignal?: AbortSignal;
}

/**
 * The data plane of a client: HeadObject, GetObject, PutObject and UploadPart. `send` takes the SDK's command and
 * answers the SDK's output (GetObject's `Body` a Node `Readable` with `transformToByteArray`/`transformToString`)
 * or rejects with an SDK-shaped error (`name`/`Code` from the XML body; a HEAD's 404 `NotFound`; `$fault`,
 * `$metadata`), whichever path serves it: call sites never choose. See {@link refusal} for when the SDK does.
 */
export interface DataPlane {
  send(command: GetObjectCommand, options?: DataSendOptions): Promise<GetObjectCommandOutput>;
  send(command: HeadObjectCommand, options?: DataSendOptions): Promise<HeadObjectCommandOutput>;
  send(command: PutObjectCommand, options?: DataSendOptions): Promise<PutObjectCommandOutput>;
  send(command: UploadPartCommand, options?: DataSendOptions): Promise<UploadPartCommandOutput>;
  send(command: DataCommand, options?: DataSendOptions): Promise<DataOutput>;
  /**
   * GetObject straight into a file, on the lean path's allocation-free socket reader (plain-http endpoints; over
   * https the same reader on TLS worker threads): the body is written at `target.position` with `onWritten(bytes,
   * chunks, crc32)` after each write landed (chunks valid during the call only; from the worker threads none, but
   * their CRC32 when `target.wantsCrc32`). Resolves with the output once the body is written; rejects like `send` (an error answer
   * writes nothing), and a failure after some bytes were written is not retried here: the caller resumes from the
   * bytes reported. `undefined` (decided before any request) when the lean reader cannot serve it (an https
   * endpoint without the worker threads, one reached through a proxy, a response checksum to validate, anything
   * {@link refusal} sends to the SDK): the caller uses `send`.
   */
  getIntoFile(
    command: GetObjectCommand,
    target: FileTarget,
    onWritten: WrittenCallback,
    signal: AbortSignal,
  ): Promise<FileGetOutput | undefined>;
  /** Closes the lean path's own connections (the socket reader's pool) and ends its TLS worker threads. */
  destroy(): void;
}

/** What {@link DataPlane.getIntoFile} got: GetObject's output without its body (the bytes are in the file). */
export type FileGetOutput = Omit<GetObjectCommandOutput, 'Body'>;

/** Any data-plane output. */
export type DataOutput = GetObjectCommandOutput | HeadObjectCommandOutput | PutObjectCommandOutput | UploadPartCommandOutput;

/** How the data plane of a client is configured. */
export interface DataPlaneSettings {
  readonly mode?: DataPlaneMode;
  readonly payloadSigning?: PayloadSigning;
  /** TLS reader threads for downloads into files over https: see `RxS3Options.tlsWorkers`. */
  readonly tlsWorkers?: boolean | number;
  /** The user gave a request handler of their own. */
  readonly ownHandler: boolean;
  /** rx-s3 built the client (so every middleware on it at construction is the SDK's or rx-s3's). */
  readonly builtHere: boolean;
}

/** Which path served the requests so far, and why the last SDK one went there (for specs and diagnostics). */
export interface DataPlaneRoutes {
  lean: number;
  sdk: number;
  lastFallback: string | undefined;
}

/** What the lean path takes from the client's handler and configuration, resolved once. */
interface Agents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  /** `responseChecksumValidation`: with `WHEN_SUPPORTED` the SDK validates every GET's checksum; so does this path. */
  readonly validation: string;
}

interface Resolved {
  readonly url: URL;
  readonly region: string;
  readonly service: string;
  readonly refused: string | undefined;
}

/** Why an attempt failed before any answer, on a connection that had served a request before. */
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/** Immediate retries of a stale keep-alive connection per request (they do not count against maxAttempts). */
const STALE_RETRIES = 2;
/** The SDK corrects its clock when the server's differs by this much (5 minutes). */
const SKEW_MS = 300_000;
/** Error bodies read at most this far. */
const ERROR_BODY_LIMIT = 64 * 1024;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const USER_AGENT = 'rx-s3 (lean data plane)';
/** The signal of a request sent without one (it never aborts). */
const NEVER = new AbortController().signal;

function abortError(): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
}

/** The lean data plane of one client: see {@link DataPlane}. Built by `RxS3` for its client. */
export class LeanDataPlane implements DataPlane {
  /** Which path served the requests so far (for specs and diagnostics). */
  readonly routes: DataPlaneRoutes = { lean: 0, sdk: 0, lastFallback: undefined };
  private readonly mode: DataPlaneMode;
  private readonly payloadSigning: PayloadSigning;
  private readonly facts: ClientFacts;
  private readonly originalSend: unknown;
  private readonly originalHandle: unknown;
  private agents: Promise<Agents | undefined> | undefined;
  private readonly endpoints = new Map<string, Promise<Resolved>>();
  private readonly regions = new Map<string, string>();
  /**
   * The lean path's own keep-alive connections over plain http (HEAD, PUT, downloads into files), made on first use:
   * as many per host as the http agent allows (`maxSockets`).
   */
  private plainSockets: SocketPool | undefined;
  /** Its TLS connections on this thread (HEAD and PUT over https); null when the agent's TLS options rule them out. */
  private tlsSockets: SocketPool | null | undefined;
  /** The last Date header seen, parsed. */
  private lastDate = { text: '', ms: Number.NaN };
  /** How many TLS reader threads downloads into files over https get (0: none, node:https then). */
  private readonly tlsThreads: number;
  /** Those threads (made on the first such download); null when the https agent has options they cannot honour. */
  private tlsPool: TlsWorkerPool | null | undefined;

  constructor(private readonly client: S3Client, settings: DataPlaneSettings) {
    this.mode = dataPlaneMode(settings.mode);
    this.payloadSigning = settings.payloadSigning ?? 'auto';
    this.tlsThreads = tlsWorkerCount(settings.tlsWorkers);
    const handler = client.config.requestHandler as { handle?: unknown; constructor?: { name?: string } } | undefined;
    const sdkHandler = handler?.constructor?.name === 'NodeHttpHandler';
    this.facts = { ownHandler: settings.ownHandler || !sdkHandler, userMiddleware: undefined, mandatoryMiddleware: undefined };
    this.originalSend = client.send;
    this.originalHandle = sdkHandle(handler);
    if (this.mode !== 'sdk') watchMiddleware(client, settings.builtHere, this.facts);
  }

  send(command: GetObjectCommand, options?: DataSendOptions): Promise<GetObjectCommandOutput>;
  send(command: HeadObjectCommand, options?: DataSendOptions): Promise<HeadObjectCommandOutput>;
  send(command: PutObjectCommand, options?: DataSendOptions): Promise<PutObjectCommandOutput>;
  send(command: UploadPartCommand, options?: DataSendOptions): Promise<UploadPartCommandOutput>;
  send(command: DataCommand, options?: DataSendOptions): Promise<DataOutput>;
  async send(command: DataCommand, options: DataSendOptions = {}): Promise<DataOutput> {
    const name = commandName(command);
    const input = command.input as unknown as Readonly<Record<string, unknown>>;
    const why = name === undefined ? 'not a data-plane command' : this.refusalFor(command, name, input);
    if (why !== undefined || name === undefined) return this.viaSdk(command, options, why ?? 'unknown command');
    const agents = await this.agentsOf();
    if (agents === undefined) return this.viaSdk(command, options, 'the request handler has timeouts or agents the lean path cannot reach');
    const bucket = input.Bucket as string;
    const endpoint = await this.endpointOf(bucket);
    if (endpoint.refused !== undefined) return this.viaSdk(command, options, endpoint.refused);
    this.routes.lean += 1;
    try {
      return await this.run(command, name, input, endpoint, agents, options.abortSignal);
    } catch (error) {
      // A GET answered with a checksum this path cannot check (CRC32C, SHA-*, CRC64NVME, or on a 206): the SDK reads it.
      if ((error as { uncheckable?: boolean }).uncheckable !== true) throw error;
      this.routes.lean -= 1;
      return this.viaSdk(command, options, 'the answer carries a checksum the lean path cannot check');
    }
  }

  async getIntoFile(
    command: GetObjectCommand,
    target: FileTarget,
    onWritten: WrittenCallback,
    signal: AbortSignal,
  ): Promise<FileGetOutput | undefined> {
    const input = command.input as unknown as Readonly<Record<string, unknown>>;
    if (this.refusalFor(command, 'GetObjectCommand', input) !== undefined) return undefined;
    const agents = await this.agentsOf();
    if (agents === undefined || this.validates(input, agents)) return undefined;
    const endpoint = await this.endpointOf(input.Bucket as string);
    if (endpoint.refused !== undefined) return undefined;
    const reader = await this.fileReader(endpoint.url, agents);
    if (reader === undefined) return undefined;
    this.routes.lean += 1;
    return this.runIntoFile(input, endpoint, agents, target, onWritten, signal, reader);
  }

  /** The lean path's own connections on this thread (http and https): open, and free of them. */
  get connections(): { readonly open: number; readonly free: number } {
    const plain = this.plainSockets?.stats ?? { open: 0, free: 0 };
    const tls = this.tlsSockets?.stats ?? { open: 0, free: 0 };
    return { open: plain.open + tls.open, free: plain.free + tls.free };
  }

  destroy(): void {
    this.plainSockets?.destroy();
    this.tlsSockets?.destroy();
    this.tlsPool?.destroy();
  }

  /**
   * The reader of a GET into a file: the socket reader over http; over https its TLS worker threads, unless they
   * are off or the https agent has options they cannot honour; else none (`send`).
   */
  private async fileReader(url: URL, agents: Agents): Promise<FileReader | undefined> {
    // The readers open their own sockets: a target the agent reaches through a proxy (or cannot reach) goes through it.
    const secure = url.protocol === 'https:';
    if (needsAgent(secure ? agents.https : agents.http, secure, hostOf(url), portOf(url))) return undefined;
    if (url.protocol === 'http:') {
      const sockets = this.plainPool(agents);
      return (request, t, onWritten, signal, limits) => getIntoFile(sockets, request, t, onWritten, signal, limits);
    }
    if (url.protocol !== 'https:' || this.tlsThreads === 0) return undefined;
    if (this.tlsPool === undefined) {
      const tls = tlsOptionsOf(agents.https);
      this.tlsPool = tls === undefined ? null : new TlsWorkerPool(this.tlsThreads, tls, maxSocketsOf(agents.https));
    }
    const pool = this.tlsPool;
    if (pool === null || !(await pool.ready())) return undefined;
    return (request, t, onWritten, signal, limits) => pool.getIntoFile(request, t, onWritten, signal, limits);
  }

  /**
   * {@link getIntoFile}'s attempts, through {@link retrying} as {@link run}'s: failures before any byte was written
   * are retried; once bytes are written, a failure goes to the caller (it resumes from there).
   */
  private async runIntoFile(
    input: Readonly<Record<string, unknown>>,
    endpoint: Resolved,
    agents: Agents,
    target: FileTarget,
    onWritten: WrittenCallback,
    signal: AbortSignal,
    reader: FileReader,
  ): Promise<FileGetOutput> {
    signal.throwIfAborted();
    const wire = serialize('GetObjectCommand', input);
    const url = endpoint.url;
    let written = 0;
    return this.retrying(signal, async () => {
      written = 0;
      const headers: Record<string, string> = { ...wire.headers, host: url.host, 'x-amz-content-sha256': EMPTY_SHA256 };
      const answer = await reader(
        await this.signed(endpoint, 'GET', input.Key as string, wire.query, headers),
        target,
        (bytes, chunks, crc32) => {
          written += bytes;
          onWritten(bytes, chunks, crc32);
        },
        signal,
        socketLimitsOf(url.protocol === 'https:' ? agents.https : agents.http),
      ).catch((error: unknown) => Promise.reject(markStale(error)));
      const metadata = metadataOf(answer.status, answer.headers);
      this.correctClock(answer.headers, answer.status, metadata);
      if (answer.status !== 200 && answer.status !== 206) throw serviceError(answer.status, answer.headers, answer.errorBody?.toString('utf8') ?? '', metadata);
      return { ...outputOf('GetObjectCommand', answer.headers), $metadata: metadata } as FileGetOutput;
    }, () => written > 0); // once bytes are written, the caller resumes from there
  }

  /**
   * The SDK's retry middleware, as the lean path runs it with the client's own retry strategy: `attempt` until it
   * answers (its `$metadata` then counts the attempts and the delay). A stale keep-alive connection is tried again
   * at once, outside maxAttempts; an error `final` says is the caller's goes back at once; `again` may send the next
   * attempt at once (a region redirect); anything else is retried after the strategy's backoff (at least the
   * answer's Retry-After, as the SDK's middleware waits) while it allows, and the error that ends it carries
   * `$metadata.attempts` and `totalRetryDelay`. An abort rejects with AbortError.
   */
  private async retrying<T extends { $metadata: { attempts?: number; totalRetryDelay?: number } }>(
    signal: AbortSignal | undefined,
    attempt: () => Promise<T>,
    final: (error: Error) => boolean,
    again: (error: Error) => Promise<boolean> = () => Promise.resolve(false),
  ): Promise<T> {
    const strategy = (await this.client.config.retryStrategy()) as unknown as RetryStrategyV2;
    let token = await strategy.acquireInitialRetryToken('');
    let attempts = 0;
    let totalRetryDelay = 0;
    let stale = 0;
    for (;;) {
      attempts += 1;
      try {
        const output = await attempt();
        strategy.recordSuccess(token);
        output.$metadata.attempts = attempts;
        output.$metadata.totalRetryDelay = totalRetryDelay;
        return output;
      } catch (thrown) {
        if (signal?.aborted) throw abortError();
        const error = asError(thrown);
        const withMetadata = error as { $metadata?: Partial<ResponseMetadata> };
        if (final(error)) {
          withMetadata.$metadata = { ...withMetadata.$metadata, attempts, totalRetryDelay };
          throw error;
        }
        if ((error as { staleSocket?: boolean }).staleSocket === true && stale < STALE_RETRIES) {
          stale += 1;
          continue;
        }
        if (await again(error)) continue;
        try {
          // The strategy waits its backoff itself (the SDK's middleware races it with the abort signal, as here), and
          // stretches it to the answer's Retry-After or x-amz-retry-after, read by the SDK's own parser.
          const retryAfterHint = getRetryAfterHint((error as { $response?: unknown }).$response);
          token = await abortable(strategy.refreshRetryTokenForRetry(token, { errorType: retryErrorType(error), ...(retryAfterHint === undefined ? {} : { retryAfterHint }) }), signal);
        } catch {
          if (signal?.aborted) throw abortError();
          withMetadata.$metadata = { ...withMetadata.$metadata, attempts, totalRetryDelay };
          throw error;
        }
        const delay = token.getRetryDelay();
        totalRetryDelay += (token.$retryLog?.acquisitionDelay ?? 0) + delay;
        if (delay > 0) await sleep(delay, signal);
      }
    }
  }

  private refusalFor(command: DataCommand, name: LeanCommandName, input: Readonly<Record<string, unknown>>): string | undefined {
    const handler = this.client.config.requestHandler as { handle?: unknown } | undefined;
    const own = (command.middlewareStack as { identify(): string[] }).identify();
    return refusal({
      mode: this.mode,
      client: this.facts,
      sendReplaced: this.client.send !== this.originalSend,
      handlerReplaced: handler?.handle !== this.originalHandle,
      commandMiddleware: own.find((id) => !LEAN_COMMAND_MIDDLEWARE.has(id)),
      unknownField: unknownField(name, input),
    });
  }

  private viaSdk(command: DataCommand, options: DataSendOptions, why: string): Promise<DataOutput> {
    this.routes.sdk += 1;
    this.routes.lastFallback = why;
    return (this.client.send as (c: DataCommand, o: DataSendOptions) => Promise<DataOutput>)(command, options);
  }

  /** The agents of the client's handler (rx-s3's watched ones, or the SDK's defaults), if it has no timeouts of its own. */
  private agentsOf(): Promise<Agents | undefined> {
    this.agents ??= (async () => {
      const handler = this.client.config.requestHandler as { configProvider?: Promise<Record<string, unknown>> };
      const config = await handler.configProvider;
      if (config === undefined) return undefined;
      if (config.requestTimeout !== undefined || config.connectionTimeout !== undefined || config.socketTimeout !== undefined) return undefined;
      const http = await (config.httpAgentProvider as (() => Promise<HttpAgent>) | undefined)?.();
      const https = config.httpsAgent as HttpsAgent | undefined;
      const validation = await this.client.config.responseChecksumValidation();
      return http === undefined || https === undefined ? undefined : { http, https, validation };
    })().catch(() => undefined);
    return this.agents;
  }

  /** The SDK's own endpoint resolution for a bucket (cached), in the region a redirect told, if any. */
  private endpointOf(bucket: string): Promise<Resolved> {
    let found = this.endpoints.get(bucket);
    if (found === undefined) {
      if (this.endpoints.size >= 1000) this.endpoints.clear();
      const region = this.regions.get(bucket);
      const config = region === undefined ? this.client.config : { ...this.client.config, region: () => Promise.resolve(region) };
      found = (async (): Promise<Resolved> => {
        const endpoint = await getEndpointFromInstructions({ Bucket: bucket }, GetObjectCommand as never, config as never);
        const scheme = (endpoint.properties?.authSchemes as Array<{ signingRegion?: string; signingName?: string }> | undefined)?.[0];
        return {
          url: new URL(endpoint.url.href),
          region: scheme?.signingRegion ?? region ?? (await this.client.config.region()),
          service: scheme?.signingName ?? 's3',
          refused: endpointRefusal(endpoint as { properties?: Record<string, unknown>; headers?: Record<string, unknown> }),
        };
      })();
      found.catch(() => this.endpoints.delete(bucket));
      this.endpoints.set(bucket, found);
    }
    return found;
  }

  /** The client's credentials, from its own provider (memoised and refreshed by the SDK: profiles, SSO, IMDS...). */
  private async credentials(): Promise<SigV4Credentials> {
    const provider = this.client.config.credentials as unknown;
    return (typeof provider === 'function' ? await (provider as () => Promise<SigV4Credentials>)() : provider) as SigV4Credentials;
  }

  /**
   * A request to `key` at `endpoint`, signed now (with the client's clock offset) for the endpoint's region and
   * service: where to send it (host, port, path and query as signed) and its headers, `user-agent` added.
   */
  private async signed(endpoint: Resolved, method: string, key: string, query: WireRequest['query'], headers: Record<string, string>): Promise<SignedGet> {
    const url = endpoint.url;
    const path = `${url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`}${keyPath(key)}`;
    const signedHeaders = signV4({ method, path, query, headers }, await this.credentials(), endpoint.region, endpoint.service, new Date(Date.now() + (this.client.config.systemClockOffset ?? 0)));
    return { host: hostOf(url), port: portOf(url), path: `${path}${queryString(query)}`, headers: { ...signedHeaders, 'user-agent': USER_AGENT } };
  }

  /** The retry loop, as the SDK's retry middleware runs it with the client's own retry strategy. */
  private async run(command: DataCommand, name: LeanCommandName, input: Readonly<Record<string, unknown>>, first: Resolved, agents: Agents, signal: AbortSignal | undefined): Promise<DataOutput> {
    if (signal?.aborted) throw abortError();
    const wire = serialize(name, input);
    const counter = requestBodyCounter(command);
    let endpoint = first;
    let redirected = false;
    const output = await this.retrying(
      signal,
      () => this.attempt(name, input, wire, endpoint, agents, signal, counter),
      (error) => (error as { uncheckable?: boolean }).uncheckable === true,
      async (error) => {
        // A region redirect (when the client follows them): signed again for that region, once.
        const region = (error as { redirectRegion?: string }).redirectRegion;
        if (region === undefined || redirected) return false;
        redirected = true;
        const bucket = input.Bucket as string;
        this.regions.set(bucket, region);
        this.endpoints.delete(bucket);
        endpoint = await this.endpointOf(bucket);
        return endpoint.refused === undefined;
      },
    );
    return output as unknown as DataOutput;
  }

  /** One attempt: sign, send, and read the answer (a GET's body is handed over, not read). */
  private async attempt(
    name: LeanCommandName,
    input: Readonly<Record<string, unknown>>,
    wire: WireRequest,
    endpoint: Resolved,
    agents: Agents,
    signal: AbortSignal | undefined,
    counter: PartCounter | undefined,
  ): Promise<{ $metadata: ResponseMetadata } & Record<string, unknown>> {
    const url = endpoint.url;
    const https = url.protocol === 'https:';
    const headers: Record<string, string> = { ...wire.headers, host: url.host };
    const method = METHOD[name];
    const body = wire.body;
    if (method === 'PUT') {
      const bytes = body ?? new Uint8Array(0);
      headers['content-length'] = String(bytes.length);
      if (name === 'PutObjectCommand' && headers['content-type'] === undefined) headers['content-type'] = 'application/octet-stream';
      headers['x-amz-content-sha256'] = await this.payloadHash(name, bytes, headers, https);
    } else {
      headers['x-amz-content-sha256'] = EMPTY_SHA256;
      // With WHEN_SUPPORTED the SDK asks every GetObject for its checksum (and validates it): so does this path.
      if (name === 'GetObjectCommand' && agents.validation === 'WHEN_SUPPORTED') headers['x-amz-checksum-mode'] = 'ENABLED';
    }
    const request = await this.signed(endpoint, method, input.Key as string, wire.query, headers);
    const sockets = method === 'GET' ? undefined : this.socketsFor(url, agents);
    if (sockets !== undefined) return this.onSocket(sockets, name, { ...request, method, body }, counter, signal, socketLimitsOf(https ? agents.https : agents.http));
    const target: RequestOptions = {
      agent: https ? agents.https : agents.http,
      protocol: url.protocol,
      hostname: request.host,
      method,
      path: request.path,
      headers: request.headers as OutgoingHttpHeaders,
    };
    if (url.port !== '') target.port = Number(url.port);
    const { res, closed } = await exchange(https ? httpsRequest : httpRequest, target, body, counter, signal);
    const status = res.statusCode ?? 0;
    const metadata = metadataOf(status, res.headers);
    this.correctClock(res.headers, status, metadata);
    if (status >= 300) {
      // Read to its end (a HEAD's empty one too), so the socket goes back to the pool.
      throw this.answerError(status, res.headers, await readLimited(res), metadata);
    }
    const output = outputOf(name, res.headers);
    if (name !== 'GetObjectCommand') {
      res.resume();
      if (!res.complete) await new Promise<void>((resolve, reject) => res.once('end', resolve).once('error', reject));
      // Answer once the socket is free: the caller's next request then reuses it instead of opening another.
      await closed;
      return { ...output, $metadata: metadata };
    }
    return { ...output, Body: this.bodyOf(res, input, output, agents), $metadata: metadata };
  }

  /**
   * The lean path's own connections to `url`'s host for HEAD and PUT: over http the socket reader's pool; over https
   * a pool of TLS connections with the https agent's TLS options and CAs (made on first use); none when the agent
   * must carry the request (a proxy, a proxy or CA problem to report, a user's agent) or has TLS options of other
   * kinds (node:https then).
   */
  private socketsFor(url: URL, agents: Agents): SocketPool | undefined {
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return undefined;
    if (needsAgent(secure ? agents.https : agents.http, secure, hostOf(url), portOf(url))) return undefined;
    if (!secure) return this.plainPool(agents);
    if (this.tlsSockets === undefined) {
      const tls = tlsOptionsOf(agents.https);
      this.tlsSockets = tls === undefined ? null : new SocketPool({ maxSockets: maxSocketsOf(agents.https), tls });
    }
    return this.tlsSockets ?? undefined;
  }

  private plainPool(agents: Agents): SocketPool {
    this.plainSockets ??= new SocketPool({ maxSockets: maxSocketsOf(agents.http) });
    return this.plainSockets;
  }

  /**
   * A request without a streamed answer (HEAD, PUT), on the lean path's own keep-alive connections
   * ({@link exchangeOnSocket}) instead of node:http: what it answers and throws is what {@link attempt} makes of a
   * node:http answer.
   */
  private async onSocket(
    sockets: SocketPool,
    name: LeanCommandName,
    request: SignedRequest,
    counter: PartCounter | undefined,
    signal: AbortSignal | undefined,
    limits: SocketLimits,
  ): Promise<{ $metadata: ResponseMetadata } & Record<string, unknown>> {
    counter?.newAttempt();
    let answer;
    try {
      answer = await exchangeOnSocket(
        sockets,
        request,
        signal ?? NEVER,
        limits,
        counter === undefined ? undefined : (bytes) => counter.add(bytes),
        BODY_SLICE,
      );
    } catch (error) {
      throw markStale(error);
    }
    const { status, headers } = answer;
    const metadata = metadataOf(status, headers);
    this.correctClock(headers, status, metadata);
    if (status >= 300) throw this.answerError(status, headers, answer.body.toString('utf8'), metadata);
    return { ...outputOf(name, headers), $metadata: metadata };
  }

  /** The error of an answer with a status of 300 or more (with the region a redirect named, if the client follows them). */
  private answerError(status: number, headers: IncomingHttpHeaders, body: string, metadata: ResponseMetadata): Error {
    const error = serviceError(status, headers, body, metadata);
    const redirectRegion = headers['x-amz-bucket-region'];
    if ((status === 301 || status === 307 || status === 400) && typeof redirectRegion === 'string' && (this.client.config as { followRegionRedirects?: boolean }).followRegionRedirects === true) {
      Object.assign(error, { redirectRegion });
    }
    return error;
  }

  /** `x-amz-content-sha256`: UNSIGNED-PAYLOAD (with a CRC32 checksum header) or the body's SHA-256; see {@link PayloadSigning}. */
  private async payloadHash(name: LeanCommandName, body: Uint8Array, headers: Record<string, string>, https: boolean): Promise<string> {
    const unsigned = this.payloadSigning === 'unsigned' || (this.payloadSigning === 'auto' && https);
    const checksummed = Object.keys(headers).some((h) => h.startsWith('x-amz-checksum-') || h === 'content-md5');
    if (unsigned && (checksummed || name === 'PutObjectCommand' || https)) {
      if (!checksummed && name === 'PutObjectCommand') headers['x-amz-checksum-crc32'] = new Crc32().update(body).base64();
      return 'UNSIGNED-PAYLOAD';
    }
    // A part in shared memory is hashed on a digest worker, off this thread (lib/internal/digest-workers.ts).
    return sha256Hex(body);
  }

  /** The SDK's clock-skew correction: a server clock 5 minutes or more away from ours becomes the offset. */
  private correctClock(headers: IncomingHttpHeaders, status: number, metadata: ResponseMetadata): void {
    const date = one(headers.date);
    if (date === undefined) return;
    // (A server's Date changes once a second: parsed once per value.)
    if (date !== this.lastDate.text) this.lastDate = { text: date, ms: Date.parse(date) };
    const server = this.lastDate.ms;
    if (Number.isNaN(server)) return;
    const offset = this.client.config.systemClockOffset ?? 0;
    if (Math.abs(Date.now() + offset - server) < SKEW_MS) return;
    this.client.config.systemClockOffset = server - Date.now();
    if (status >= 300) metadata.clockSkewCorrected = true;
  }

  /**
   * The body of a GET, with the SDK's extras. When the SDK would validate the answer's checksum (`ChecksumMode`
   * ENABLED, or `responseChecksumValidation: WHEN_SUPPORTED`), a whole-object CRC32 is checked as the body ends
   * (a mismatch fails the stream with the SDK's message); an answer with a checksum this path cannot check is
   * refused (see {@link uncheckable}) before the body is handed over.
   */
  private bodyOf(res: IncomingMessage, input: Readonly<Record<string, unknown>>, output: Record<string, unknown>, agents: Agents): Readable {
    if (!this.validates(input, agents)) return Object.assign(res, BODY_EXTRAS);
    const expected = output.ChecksumCRC32;
    if (typeof expected === 'string' && !expected.includes('-') && res.statusCode === 200) {
      // The SDK's own message for it.
      const mismatch = (actual: string): Error => new Error(`Checksum mismatch: expected "${expected}" but received "${actual}" in response header "x-amz-checksum-crc32".`);
      return Object.assign(crc32Checked(res, expected, mismatch), BODY_EXTRAS);
    }
    if (uncheckable(res)) {
      res.destroy();
      throw Object.assign(new Error('the answer carries a checksum the lean path cannot check'), { uncheckable: true });
    }
    return Object.assign(res, BODY_EXTRAS);
  }

  private validates(input: Readonly<Record<string, unknown>>, agents: Agents): boolean {
    return input.ChecksumMode === 'ENABLED' || agents.validation === 'WHEN_SUPPORTED';
  }
}

/**
 * The TLS options a connection of the lean path's own gets: the https agent's (only data: CAs, certificates,
 * `rejectUnauthorized`, `servername`..., see {@link workerTlsOptions}) and the client's CAs (`ca`, AWS_CA_BUNDLE),
 * which rx-s3's agent keeps apart; undefined when the agent has an option of another kind.
 */
function tlsOptionsOf(agent: HttpsAgent): ConnectionOptions | undefined {
  const options = agent.options as Readonly<Record<string, unknown>>;
  const ca = agentCa(agent);
  return workerTlsOptions(ca === undefined ? options : { ...options, ca });
}

/** A failure of the lean path's own connections, marked `staleSocket` when it is a reused keep-alive connection's reset before any answer. */
function markStale(error: unknown): unknown {
  const failure = error as { reusedSocket?: boolean; code?: string } | undefined;
  if (failure?.reusedSocket === true && STALE_CODES.has(failure.code ?? '')) Object.assign(failure, { staleSocket: true });
  return error;
}

/** A reader of GETs into files: the socket reader's `getIntoFile` on this thread or on the TLS worker threads. */
type FileReader = (
  request: SignedGet,
  target: FileTarget,
  onWritten: WrittenCallback,
  signal: AbortSignal,
  limits: SocketLimits,
) => Promise<GetIntoFileResult>;

interface RetryToken {
  readonly $retryLog?: { acquisitionDelay?: number };
  getRetryDelay(): number;
  getRetryCount(): number;
}

interface RetryStrategyV2 {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(token: RetryToken, info: { errorType: string; retryAfterHint?: Date }): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

/** How the SDK's retry middleware classifies a failure. */
function retryErrorType(error: Error): string {
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  if (isThrottlingError(sdkError)) return 'THROTTLING';
  if (isTransientError(sdkError)) return 'TRANSIENT';
  if (isServerError(sdkError)) return 'SERVER_ERROR';
  return 'CLIENT_ERROR';
}

function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : Object.assign(new Error(String(thrown)), { cause: thrown });
}

function commandName(command: DataCommand): LeanCommandName | undefined {
  if (command instanceof HeadObjectCommand) return 'HeadObjectCommand';
  if (command instanceof GetObjectCommand) return 'GetObjectCommand';
  if (command instanceof PutObjectCommand) return 'PutObjectCommand';
  if (command instanceof UploadPartCommand) return 'UploadPartCommand';
  return undefined;
}

/** `promise`, or an AbortError as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type RequestFn = typeof httpRequest;

/** An answer (headers read), and when its request closed (its keep-alive socket is back in the pool then). */
interface Exchanged {
  readonly res: IncomingMessage;
  readonly closed: Promise<void>;
}

/**
 * Sends one request and resolves with its answer (headers read, body not). Aborting destroys the request (and
 * its answer's body later), which frees the socket; the rejection is the SDK's `AbortError`. A failure before any
 * answer on a reused keep-alive connection is marked `staleSocket` (retried at once).
 */
function exchange(
  send: RequestFn,
  options: RequestOptions,
  body: Uint8Array | undefined,
  counter: PartCounter | undefined,
  signal: AbortSignal | undefined,
): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req: ClientRequest = send(options);
    const closed = new Promise<void>((done) => req.once('close', done));
    const onAbort = (): void => {
      req.destroy(abortError());
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.once('error', (error: NodeJS.ErrnoException) => {
      if (!answered && req.reusedSocket && STALE_CODES.has(error.code ?? '')) Object.assign(error, { staleSocket: true });
      reject(error);
    });
    req.once('response', (res: IncomingMessage) => {
      answered = true;
      resolve({ res, closed });
    });
    writeBody(req, body, counter);
  });
}

/** Writes a request body, in slices counted as they are handed to the socket when progress is watched. */
function writeBody(req: ClientRequest, body: Uint8Array | undefined, counter: PartCounter | undefined): void {
  if (body === undefined || body.length === 0) {
    req.end();
    return;
  }
  if (counter === undefined) {
    req.end(body);
    return;
  }
  counter.newAttempt();
  let offset = 0;
  const pump = (): void => {
    while (offset < body.length) {
      if (req.destroyed) return;
      const end = Math.min(offset + BODY_SLICE, body.length);
      const slice = body.subarray(offset, end);
      offset = end;
      counter.add(slice.length);
      // The last slice ends the request: waiting for a 'drain' first left the request unended when the answer came
      // in the meantime (over TLS, seen on one part in thirty): its socket then stayed busy until the server closed it.
      if (offset === body.length) {
        req.end(slice);
        return;
      }
      if (!req.write(slice)) {
        req.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

/** An error answer's body, up to a limit. */
async function readLimited(res: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= ERROR_BODY_LIMIT) chunks.push(chunk);
    }
  } catch {
    // A cut error body still has its status: what was read is parsed.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether an answer carries a whole checksum other than CRC32 (or any on a partial answer): the SDK validates those. */
function uncheckable(res: IncomingMessage): boolean {
  for (const name of ['x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-crc64nvme', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256']) {
    const value = res.headers[name];
    if (typeof value === 'string' && !value.includes('-')) return true;
  }
  return false;
}

/** The SDK's stream extras (sdkStreamMixin) our callers and users may call on a GetObject body. */
const BODY_EXTRAS = {
  async transformToByteArray(this: Readable): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    for await (const chunk of this as AsyncIterable<Buffer>) chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks));
  },
  async transformToString(this: Readable, encoding?: BufferEncoding): Promise<string> {
    if (encoding === undefined || encoding === 'utf8' || encoding === 'utf-8') return text(this);
    const chunks: Buffer[] = [];
    for await (const chunk of this as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks).toString(encoding);
  },
  transformToWebStream(this: Readable): ReadableStream {
    return Readable.toWeb(this) as ReadableStream;
  },
};


function one(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}
