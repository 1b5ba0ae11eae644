/**
 * The one error shape of rx-s3 and the one place that maps SDK, network and file-system failures to it.
 *
 * Every public operation reports failures as `Err(S3Error)` followed by completion; nothing here throws.
 * @packageDocumentation
 */

/**
 * The discriminant of {@link S3Error}. The first nine mirror the exceptions of the AWS tutorial rx-s3 grew from;
 * the rest cover what a client meets in practice.
 *
 * - `InvalidInput`: rejected locally before any request was sent (bad bucket name, empty key, TTL out of range...).
 * - `LocalFile`: a local file-system failure (missing source file, missing destination directory, disk full...).
 * - `Integrity`: the data did not verify (a copy whose size or ETag differs, a download whose size is wrong or
 *   whose bytes do not match the object's CRC32, a source that changed while it was uploaded).
 * - `Network` / `Timeout`: the request did not get an HTTP answer.
 * - `NoCredentials`: no credentials could be loaded (none given, no environment variables, no usable profile);
 *   nothing was sent.
 * - `ServiceError`: any other error answered by the service (see `code` and `status`).
 * - `Unknown`: a failure rx-s3 could not classify (see `cause`).
 *
 * Not emitted on its own: every `Err` of every operation carries one, as its `S3Error`'s `kind`.
 *
 * @example
 * ```ts
 * const gone: readonly S3ErrorKind[] = ['NoSuchBucket', 'NoSuchKey'];
 * rx.getObject('photos', 'cat.jpg').subscribe((r) => {
 *   if (r.err && gone.includes(r.val.kind)) console.log('nothing to read');
 * });
 * ```
 */
export type S3ErrorKind =
  | 'BucketAlreadyExists'
  | 'BucketAlreadyOwnedByYou'
  | 'InvalidObjectState'
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'NoSuchUpload'
  | 'ObjectAlreadyInActiveTierError'
  | 'ObjectNotInActiveTierError'
  | 'ServiceError'
  | 'BucketNotEmpty'
  | 'AccessDenied'
  | 'PreconditionFailed'
  | 'Throttled'
  | 'InvalidInput'
  | 'LocalFile'
  | 'Integrity'
  | 'Network'
  | 'Timeout'
  | 'NoCredentials'
  | 'Unknown';

/**
 * A failure, as a plain readonly value. Compare `kind`, never `message`.
 *
 * @example
 * ```ts
 * rx.getObjectMetadata('photos', 'cat.jpg').subscribe((result) => {
 *   if (result.err && result.val.kind === 'NoSuchKey') console.log('not there yet');
 * });
 * ```
 */
export interface S3Error {
  /** What went wrong, as a literal union: the one field to branch on. */
  readonly kind: S3ErrorKind;
  /** The rx-s3 operation that failed, e.g. `'getObject'`. */
  readonly operation: string;
  /** The bucket involved, where known. */
  readonly bucket?: string;
  /** The key (or local path, for `LocalFile`) involved, where known. */
  readonly key?: string;
  /** The HTTP status of the answer, when the service answered. */
  readonly status?: number;
  /** The service's error code as sent (`'NoSuchKey'`, `'SlowDown'`...) or the system error code (`'ENOENT'`). */
  readonly code?: string;
  /** The service's request id, for support tickets. */
  readonly requestId?: string;
  /** A sentence for humans. */
  readonly message: string;
  /**
   * The original failure, for debugging (an SDK exception, a Node system error...; anything thrown that was not
   * an `Error` is wrapped in one, with the value as its own `cause`). Its shape is not part of the stable API.
   */
  readonly cause?: Error;
}

/**
 * Where a failure happened: the fields of {@link S3Error} that the operation knows up front. The second
 * argument of {@link toS3Error}; every field is copied into the error it returns.
 *
 * @example
 * ```ts
 * const context: ErrorContext = { operation: 'importCatalog', bucket: 'photos', key: 'catalog.json' };
 * const error = toS3Error(new Error('boom'), context); // error.operation === 'importCatalog'
 * ```
 */
export interface ErrorContext {
  readonly operation: string;
  readonly bucket?: string;
  readonly key?: string;
  /**
   * For copies: the object read. A `NoSuchKey` answer is about it, so the error then names the source, not the
   * target. Not copied into the {@link S3Error}.
   */
  readonly source?: { readonly bucket: string; readonly key: string };
}

/** Builds an {@link S3Error} for a failure rx-s3 detected itself (bad input, failed verification...). */
export function s3Error(kind: S3ErrorKind, context: ErrorContext, message: string, extra: Partial<S3Error> = {}): S3Error {
  const { source: _source, ...where } = context;
  return { kind, ...where, message: redactSecrets(message), ...extra };
}

/**
 * The `name` of the error every request of a client built from a configuration that cannot work fails with
 * (a bad endpoint, an empty region...): {@link toS3Error} maps it to `InvalidInput`, code `InvalidConfiguration`.
 */
export const CONFIGURATION_ERROR = 'RxS3ConfigurationError';

/**
 * What must never reach a message: signatures (header or presigned query), session tokens, and the password of
 * a URL's user info. Applied to every message {@link toS3Error} and {@link s3Error} build.
 */
const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/(X-Amz-Signature=)[^&\s"'<]+/gi, '$1[redacted]'],
  [/(X-Amz-Security-Token=)[^&\s"'<]+/gi, '$1[redacted]'],
  [/(x-amz-security-token:\s*)\S+/gi, '$1[redacted]'],
  [/(Signature=)[0-9a-f]{16,}/gi, '$1[redacted]'],
  [/(<SignatureProvided>)[^<]*/gi, '$1[redacted]'],
  [/(<StringToSign(?:Bytes)?>)[^<]*/gi, '$1[redacted]'],
  [/(<CanonicalRequest(?:Bytes)?>)[^<]*/gi, '$1[redacted]'],
  [/(\/\/[^/\s:@]*:)[^@\s/]+@/g, '$1[redacted]@'],
];

/**
 * `text` with signatures, session tokens and URL passwords replaced by `[redacted]`. rx-s3 runs every error
 * message through it; use it on text of your own that may hold a request or a presigned URL.
 *
 * @example
 * ```ts
 * import { redactSecrets } from 'rx-s3';
 * redactSecrets('https://b.s3.amazonaws.com/k?X-Amz-Signature=0a1b'); // '...?X-Amz-Signature=[redacted]'
 * ```
 */
export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** Service error codes and the kind each maps to. Codes not listed become `ServiceError`. */
const KIND_BY_CODE: Readonly<Record<string, S3ErrorKind>> = {
  BucketAlreadyExists: 'BucketAlreadyExists',
  BucketAlreadyOwnedByYou: 'BucketAlreadyOwnedByYou',
  InvalidObjectState: 'InvalidObjectState',
  NoSuchBucket: 'NoSuchBucket',
  NoSuchKey: 'NoSuchKey',
  NoSuchUpload: 'NoSuchUpload',
  ObjectAlreadyInActiveTierError: 'ObjectAlreadyInActiveTierError',
  ObjectNotInActiveTierError: 'ObjectNotInActiveTierError',
  BucketNotEmpty: 'BucketNotEmpty',
  AccessDenied: 'AccessDenied',
  Forbidden: 'AccessDenied',
  InvalidAccessKeyId: 'AccessDenied',
  SignatureDoesNotMatch: 'AccessDenied',
  ExpiredToken: 'AccessDenied',
  InvalidToken: 'AccessDenied',
  AllAccessDisabled: 'AccessDenied',
  PreconditionFailed: 'PreconditionFailed',
  SlowDown: 'Throttled',
  Throttling: 'Throttled',
  ThrottlingException: 'Throttled',
  RequestLimitExceeded: 'Throttled',
  TooManyRequests: 'Throttled',
  TooManyRequestsException: 'Throttled',
  RequestTimeout: 'Timeout',
  TimeoutError: 'Timeout',
};

/**
 * The kind for an S3 error code given without an exception, e.g. a per-key error of DeleteObjects.
 *
 * @example
 * ```ts
 * rx.deleteObjects('b', ['k']).subscribe((r) => r.ok && r.val.errors.forEach((e) => console.log(kindOfCode(e.code))));
 * ```
 */
export function kindOfCode(code: string | undefined): S3ErrorKind {
  return (code === undefined ? undefined : KIND_BY_CODE[code]) ?? 'ServiceError';
}

/** Error codes of Node's network stack. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'ENETDOWN', 'EPROTO', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET',
]);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

interface Inspectable {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  path?: unknown;
  syscall?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  Code?: unknown;
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Maps any failure (an SDK service exception, a Node network or file-system error, an abort, anything thrown)
 * to an {@link S3Error}. The one mapping in rx-s3; every operation funnels its failures through it. Never throws;
 * an `S3Error` is returned as it is. Use it to report failures of your own SDK calls the rx-s3 way.
 *
 * @example
 * ```ts
 * import { HeadBucketCommand } from '@aws-sdk/client-s3';
 * import { toS3Error } from 'rx-s3';
 * const error = await rx.client.send(new HeadBucketCommand({ Bucket: 'photos' }))
 *   .then(() => undefined, (cause: unknown) => toS3Error(cause, { operation: 'headBucket', bucket: 'photos' }));
 * if (error !== undefined) console.log(error.kind); // e.g. 'NoSuchBucket'
 * ```
 */
export function toS3Error(thrown: unknown, context: ErrorContext): S3Error {
  if (isS3Error(thrown)) return thrown;
  const { source, ...where } = context;
  const error: Inspectable = typeof thrown === 'object' && thrown !== null ? (thrown as Inspectable) : {};
  const name = asString(error.name);
  const systemCode = asString(error.code);
  const status = typeof error.$metadata?.httpStatusCode === 'number' ? error.$metadata.httpStatusCode : undefined;
  const requestId = asString(error.$metadata?.requestId);
  const message = redactSecrets(asString(error.message) ?? String(thrown));
  const cause = thrown instanceof Error ? thrown : new Error(message, { cause: thrown });
  const isService = error.$fault !== undefined || status !== undefined;

  if (!isService && name === CONFIGURATION_ERROR) {
    return { kind: 'InvalidInput', ...where, code: 'InvalidConfiguration', message, cause };
  }
  // The SDK's own check of a response checksum (flexible checksums) fails the body stream with this message.
  if (!isService && /^Checksum mismatch/.test(message)) {
    return { kind: 'Integrity', ...where, code: 'ChecksumMismatch', message, cause };
  }
  if (!isService && name === 'CredentialsProviderError') {
    return {
      kind: 'NoCredentials', ...where, code: name, cause,
      message: `no credentials: pass \`credentials\`, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile (AWS_PROFILE) (${message})`,
    };
  }
  if (!isService && systemCode !== undefined && asString(error.path) !== undefined) {
    const path = asString(error.path);
    return { kind: 'LocalFile', ...where, code: systemCode, message: describeFileError(systemCode, path, message), cause };
  }
  if (!isService && (name === 'TimeoutError' || (systemCode !== undefined && TIMEOUT_CODES.has(systemCode)))) {
    return { kind: 'Timeout', ...where, code: systemCode ?? name, message, cause };
  }
  if (!isService && ((systemCode !== undefined && NETWORK_CODES.has(systemCode)) || asString(error.syscall) !== undefined)) {
    return { kind: 'Network', ...where, code: systemCode, message, cause };
  }
  if (!isService) {
    return { kind: 'Unknown', ...where, code: systemCode ?? name, message, cause };
  }

  const code = asString(error.Code) ?? name;
  const kind = serviceKind(code, status, where);
  // A copy's missing key is its source: name that object.
  const about = kind === 'NoSuchKey' && source !== undefined ? { ...where, ...source } : where;
  return { kind, ...about, status, requestId, code, cause, message: describeServiceError(kind, about, code, status, message) };
}

/** The kind of a service error from its code, falling back to the HTTP status (HEAD answers carry no code). */
function serviceKind(code: string | undefined, status: number | undefined, context: ErrorContext): S3ErrorKind {
  const byCode = code === undefined ? undefined : KIND_BY_CODE[code];
  if (byCode !== undefined) return byCode;
  // A HEAD answer has no body, so the SDK names the error after the status ('NotFound', '403', ...).
  switch (status) {
    case 404:
      return context.key === undefined ? 'NoSuchBucket' : 'NoSuchKey';
    case 403:
    case 407: // S3 never answers 407: a proxy on the way asks for credentials
      return 'AccessDenied';
    case 412:
      return 'PreconditionFailed';
    case 429:
      return 'Throttled';
    case 503:
      return code === 'ServiceUnavailable' || code === undefined ? 'Throttled' : 'ServiceError';
    default:
      return 'ServiceError';
  }
}

function describeServiceError(
  kind: S3ErrorKind,
  context: ErrorContext,
  code: string | undefined,
  status: number | undefined,
  sdkMessage: string,
): string {
  const target = context.key === undefined ? `s3://${context.bucket ?? ''}` : `s3://${context.bucket ?? ''}/${context.key}`;
  if (status === 407) {
    const said = /proxy/i.test(sdkMessage) ? sdkMessage : 'a proxy answered 407 Proxy Authentication Required';
    return `${said} (${target}): give the proxy's user and password in its URL (scheme://user:password@host:port)`;
  }
  switch (kind) {
    case 'NoSuchKey':
      return `${target} does not exist`;
    case 'NoSuchBucket':
      return `bucket ${context.bucket ?? ''} does not exist`;
    case 'AccessDenied':
      return `access denied to ${target}${code !== undefined && code !== 'AccessDenied' && code !== 'Forbidden' ? ` (${code})` : ''}`;
    default: {
      // The SDK's message for a body-less answer is just the status: say something more useful.
      const useful = sdkMessage !== '' && sdkMessage !== code && !/^UnknownError$/.test(sdkMessage);
      return useful ? sdkMessage : `${code ?? 'error'} (HTTP ${status ?? '?'}) on ${target}`;
    }
  }
}

function describeFileError(code: string, path: string | undefined, fallback: string): string {
  const where = path ?? 'file';
  switch (code) {
    case 'ENOENT':
      return `${where}: no such file or directory`;
    case 'EACCES':
    case 'EPERM':
      return `${where}: permission denied`;
    case 'EISDIR':
      return `${where}: is a directory`;
    case 'ENOTDIR':
      return `${where}: a parent is not a directory`;
    case 'ENOSPC':
      return `${where}: no space left on device`;
    default:
      return fallback;
  }
}

/**
 * True for values built by rx-s3 as {@link S3Error} (plain objects, never `Error` instances). Useful where an
 * `S3Error` was thrown on, e.g. by code that turns an `Err` into a rejection with `if (r.err) throw r.val`.
 *
 * @example
 * ```ts
 * import { isS3Error } from 'rx-s3';
 * process.on('unhandledRejection', (cause) => {
 *   console.error(isS3Error(cause) ? `${cause.kind}: ${cause.message}` : cause);
 * });
 * ```
 */
export function isS3Error(value: unknown): value is S3Error {
  return (
    typeof value === 'object' && value !== null &&
    typeof (value as { kind?: unknown }).kind === 'string' &&
    typeof (value as { operation?: unknown }).operation === 'string' &&
    typeof (value as { message?: unknown }).message === 'string' &&
    !(value instanceof Error)
  );
}

/**
 * Whether trying the same request again later may succeed. Use it to build retry pipelines.
 *
 * @example
 * ```ts
 * import { isRetryable } from 'rx-s3';
 * rx.getObjectMetadata('b', 'k').subscribe((result) => {
 *   if (result.err && isRetryable(result.val)) console.log('worth another try');
 * });
 * ```
 */
export function isRetryable(error: S3Error): boolean {
  const kind = error.kind;
  switch (kind) {
    case 'Throttled':
    case 'Network':
    case 'Timeout':
      return true;
    case 'ServiceError':
      return error.status !== undefined && error.status >= 500;
    case 'BucketAlreadyExists':
    case 'BucketAlreadyOwnedByYou':
    case 'InvalidObjectState':
    case 'NoSuchBucket':
    case 'NoSuchKey':
    case 'NoSuchUpload':
    case 'ObjectAlreadyInActiveTierError':
    case 'ObjectNotInActiveTierError':
    case 'BucketNotEmpty':
    case 'AccessDenied':
    case 'PreconditionFailed':
    case 'InvalidInput':
    case 'LocalFile':
    case 'Integrity':
    case 'NoCredentials':
    case 'Unknown':
      return false;
    default:
      return assertNever(kind);
  }
}

/** Exhaustiveness check: a new kind added to {@link S3ErrorKind} and not handled fails to compile. */
function assertNever(value: never): never {
  throw new TypeError(`unhandled S3 error kind: ${String(value)}`);
}
