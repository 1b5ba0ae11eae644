import { S3Client } from '@aws-sdk/client-s3';

/**
 * Which path the data plane (HeadObject, GetObject, PutObject, UploadPart) takes:
 * - `'auto'` (the default): the lean path whenever the configuration allows it (docs/reliability.md, "The lean data
 *   plane", lists what sends a request to the SDK), else the SDK.
 * - `'lean'`: the same, except that middleware added to the client's stack does not send the data plane to the
 *   SDK (it is then not run for those four commands). Everything the lean path cannot do still goes to the SDK.
 * - `'sdk'`: every request through the SDK, as before the lean path existed.
 *
 * The environment variable `RXS3_DATA_PLANE` (`auto`, `lean` or `sdk`) replaces the default, for CI lanes; an
 * explicit `dataPlane` option wins over it.
 *
 * @example
 * ```ts
 * const rx = new RxS3({ dataPlane: 'sdk' }); // every request through the SDK's own stack (your middleware runs)
 * ```
 */
export type DataPlaneMode = 'auto' | 'lean' | 'sdk';

/**
 * How the lean path signs the body of PutObject and UploadPart:
 * - `'auto'` (the default): `UNSIGNED-PAYLOAD` over https (as the SDK does there), the SHA-256 of the body over
 *   plain http (as the SDK, boto3 and minio-js do there).
 * - `'unsigned'`: `UNSIGNED-PAYLOAD` over http too, the server's check of the body then being a CRC32 checksum
 *   header (which the signature covers): PutObject sends `x-amz-checksum-crc32` (computed unless the caller gave a
 *   checksum); an UploadPart without a checksum of its caller (the upload was not created with one, and a part
 *   checksum would not match its declared type) is signed with SHA-256 instead, so no body goes unchecked.
 *   Over plain http an on-path attacker able to forge a body with the same CRC32 is not stopped: use it on
 *   networks you trust (it is what makes uploads fast).
 * - `'signed'`: the SHA-256 of the body everywhere.
 *
 * @example
 * ```ts
 * const rx = new RxS3({ endpoint: 'http://10.0.0.5:9000', forcePathStyle: true, payloadSigning: 'unsigned' }); // a trusted network
 * ```
 */
export type PayloadSigning = 'auto' | 'unsigned' | 'signed';

/** The mode in effect: the option, else `RXS3_DATA_PLANE`, else `'auto'`. */
export function dataPlaneMode(option: DataPlaneMode | undefined): DataPlaneMode {
  if (option !== undefined) return option;
  const env = process.env.RXS3_DATA_PLANE;
  return env === 'lean' || env === 'sdk' || env === 'auto' ? env : 'auto';
}

/** Middleware rx-s3 itself adds to a client's stack that does not concern the data plane. */
const TRANSPARENT_MIDDLEWARE = new Set(['rxS3CliUploadTracker - initialize']);
/** Middleware rx-s3 adds to a data-plane command, which the lean path honours itself. */
export const LEAN_COMMAND_MIDDLEWARE = new Set(['rxS3CountRequestBody - deserialize']);

/** Middleware rx-s3 adds that must run (a client that only reports its configuration problem): SDK in every mode. */
const MANDATORY_MIDDLEWARE = new Set(['rxS3ConfigurationProblem - initialize']);

let sdkMiddleware: ReadonlySet<string> | undefined;

/**
 * The middleware of a client as the SDK builds it (names as `identify()` gives them): taken from the first client
 * rx-s3 builds itself, or from a fresh one (built only when a client is passed in, whose construction has already
 * printed the SDK's warnings: building one at load time would print them in programs that never make a client).
 */
function defaultMiddleware(builtHere: S3Client | undefined): ReadonlySet<string> {
  if (sdkMiddleware === undefined) {
    const reference = builtHere ?? new S3Client({ region: 'us-east-1' });
    sdkMiddleware = new Set(reference.middlewareStack.identify().filter((name) => !MANDATORY_MIDDLEWARE.has(name)));
    if (reference !== builtHere) reference.destroy();
  }
  return sdkMiddleware;
}

let pristineHandle: unknown;

/**
 * The SDK's own `NodeHttpHandler.prototype.handle`, as it was when the first rx-s3 client was built (before a spy
 * or an instrumentation installed later could replace it).
 */
export function sdkHandle(handler: object | undefined): unknown {
  if (pristineHandle === undefined && handler !== undefined && handler.constructor?.name === 'NodeHttpHandler') {
    pristineHandle = (Object.getPrototypeOf(handler) as { handle?: unknown }).handle;
  }
  return pristineHandle;
}

/** What is fixed for a client: what its construction and configuration say about the lean path. */
export interface ClientFacts {
  /** The user gave `clientConfig.requestHandler` (or a client whose handler is not the SDK's Node handler). */
  readonly ownHandler: boolean;
  /** The first middleware on the client's stack that the SDK did not put there, if any. */
  userMiddleware: string | undefined;
  /** Middleware of rx-s3's that must run, if any (a client that reports a configuration problem). */
  mandatoryMiddleware: string | undefined;
}

/**
 * Watches a client's middleware stack: notes middleware present that the SDK did not add, and any added later
 * (`add`, `addRelativeTo`, `use` all go through the first two).
 */
export function watchMiddleware(client: S3Client, builtHere: boolean, facts: ClientFacts): void {
  const stack = client.middlewareStack;
  const present = stack.identify();
  const known = defaultMiddleware(builtHere ? client : undefined);
  facts.userMiddleware = present.find((name) => !known.has(name) && !TRANSPARENT_MIDDLEWARE.has(name) && !MANDATORY_MIDDLEWARE.has(name));
  facts.mandatoryMiddleware = present.find((name) => MANDATORY_MIDDLEWARE.has(name));
  const add = stack.add.bind(stack);
  const addRelativeTo = stack.addRelativeTo.bind(stack);
  const note = (name: string | undefined, step: string): void => {
    const id = `${name ?? 'anonymous'} - ${step}`;
    if (!TRANSPARENT_MIDDLEWARE.has(id)) facts.userMiddleware ??= id;
  };
  stack.add = ((middleware: unknown, options?: { name?: string; step?: string }) => {
    note(options?.name, options?.step ?? 'initialize');
    return (add as (m: unknown, o?: unknown) => void)(middleware, options);
  }) as typeof stack.add;
  stack.addRelativeTo = ((middleware: unknown, options: { name?: string; toMiddleware?: string }) => {
    note(options.name, `relative to ${options.toMiddleware ?? '?'}`);
    return (addRelativeTo as (m: unknown, o: unknown) => void)(middleware, options);
  }) as typeof stack.addRelativeTo;
}

/** What one request brings to the decision. */
export interface RequestFacts {
  readonly mode: DataPlaneMode;
  readonly client: ClientFacts;
  /** `client.send` is no longer what it was when the data plane was built (wrapped, spied, replaced). */
  readonly sendReplaced: boolean;
  /** The request handler's `handle` is not the SDK's own, as first seen (instrumented, stubbed). */
  readonly handlerReplaced: boolean;
  /** The first middleware on the command's own stack the lean path does not honour. */
  readonly commandMiddleware: string | undefined;
  /** The first input field the lean serializer does not know, or cannot send (a stream body...). */
  readonly unknownField: string | undefined;
}

/**
 * THE rule of the data plane: why this request goes through the SDK, or `undefined` for the lean path. In order:
 * 1. `dataPlane: 'sdk'` (or `RXS3_DATA_PLANE=sdk`).
 * 2. The client's request handler is the user's (`clientConfig.requestHandler`, or a client passed in whose
 *    handler is not the SDK's Node handler with rx-s3's or default agents): its behaviour is the user's to keep.
 * 3. `client.send` was replaced after rx-s3 was built, or the handler's `handle` is not the SDK's own as it was
 *    when the first rx-s3 client was built (instrumentation, test spies): whatever wraps them sees every request.
 * 4. Middleware added to the client's stack by the user (not with `dataPlane: 'lean'`) or to the command's.
 * 5. An input field the lean serializer does not know, or a body that is not bytes or a string (a stream).
 *
 * Decided after the endpoint is resolved (see the data plane): an endpoint whose auth scheme is not plain
 * `sigv4` (S3 Express `sigv4-s3express`, `sigv4a`), or that asks for extra headers, also goes to the SDK.
 */
export function refusal(facts: RequestFacts): string | undefined {
  if (facts.mode === 'sdk') return 'dataPlane is sdk';
  if (facts.client.mandatoryMiddleware !== undefined) return `rx-s3's middleware on the client: ${facts.client.mandatoryMiddleware}`;
  if (facts.client.ownHandler) return 'the client has a request handler of its own';
  if (facts.sendReplaced) return 'client.send was replaced';
  if (facts.handlerReplaced) return "the request handler's handle was replaced";
  if (facts.mode === 'auto' && facts.client.userMiddleware !== undefined) return `middleware on the client: ${facts.client.userMiddleware}`;
  if (facts.commandMiddleware !== undefined) return `middleware on the command: ${facts.commandMiddleware}`;
  if (facts.unknownField !== undefined) return `input field ${facts.unknownField}`;
  return undefined;
}

/** The auth scheme of a resolved endpoint, if the lean path can sign for it: plain SigV4, no extra headers. */
export function endpointRefusal(endpoint: { properties?: Record<string, unknown>; headers?: Record<string, unknown> }): string | undefined {
  const schemes = endpoint.properties?.authSchemes as Array<{ name?: string }> | undefined;
  const scheme = schemes?.[0]?.name ?? 'sigv4';
  if (scheme !== 'sigv4') return `auth scheme ${scheme}`;
  if (endpoint.properties?.backend !== undefined) return `backend ${String(endpoint.properties.backend)}`;
  if (endpoint.headers !== undefined && Object.keys(endpoint.headers).length > 0) return 'the endpoint adds headers';
  return undefined;
}
