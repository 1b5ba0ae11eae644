import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { Crc32 } from '../integrity';

/**
 * The lean data plane's serializer and deserializer: the input fields it knows (each one a header, a query
 * parameter or the path, exactly as the SDK's schema for the command maps it) and the output fields it reads
 * back from the answer's headers. A field that is not in these tables sends the request through the SDK.
 */

/** How an input field goes on the wire. */
type InputField =
  | { readonly kind: 'label' }
  | { readonly kind: 'body' }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'date-header'; readonly name: string }
  | { readonly kind: 'boolean-header'; readonly name: string }
  | { readonly kind: 'number-header'; readonly name: string }
  | { readonly kind: 'query'; readonly name: string }
  | { readonly kind: 'metadata' }
  | { readonly kind: 'sse-customer-key' }
  | { readonly kind: 'checksum-algorithm' };

const header = (name: string): InputField => ({ kind: 'header', name });
const query = (name: string): InputField => ({ kind: 'query', name });

const COMMON: Readonly<Record<string, InputField>> = {
  Bucket: { kind: 'label' },
  Key: { kind: 'label' },
  ExpectedBucketOwner: header('x-amz-expected-bucket-owner'),
  RequestPayer: header('x-amz-request-payer'),
  SSECustomerAlgorithm: header('x-amz-server-side-encryption-customer-algorithm'),
  SSECustomerKey: { kind: 'sse-customer-key' },
  // Computed from the key, as the SDK's ssec middleware does (a given one is replaced, as there).
  SSECustomerKeyMD5: header('x-amz-server-side-encryption-customer-key-MD5'),
};

const READ: Readonly<Record<string, InputField>> = {
  ...COMMON,
  IfMatch: header('if-match'),
  IfNoneMatch: header('if-none-match'),
  IfModifiedSince: { kind: 'date-header', name: 'if-modified-since' },
  IfUnmodifiedSince: { kind: 'date-header', name: 'if-unmodified-since' },
  Range: header('range'),
  VersionId: query('versionId'),
  PartNumber: query('partNumber'),
  ChecksumMode: header('x-amz-checksum-mode'),
  ResponseCacheControl: query('response-cache-control'),
  ResponseContentDisposition: query('response-content-disposition'),
  ResponseContentEncoding: query('response-content-encoding'),
  ResponseContentLanguage: query('response-content-language'),
  ResponseContentType: query('response-content-type'),
};

const WRITE: Readonly<Record<string, InputField>> = {
  ...COMMON,
  Body: { kind: 'body' },
  ContentLength: { kind: 'number-header', name: 'content-length' },
  ContentMD5: header('content-md5'),
  ChecksumAlgorithm: { kind: 'checksum-algorithm' },
  ChecksumCRC32: header('x-amz-checksum-crc32'),
  ChecksumCRC32C: header('x-amz-checksum-crc32c'),
  ChecksumCRC64NVME: header('x-amz-checksum-crc64nvme'),
  ChecksumSHA1: header('x-amz-checksum-sha1'),
  ChecksumSHA256: header('x-amz-checksum-sha256'),
};

/** The input fields the lean path serializes, per command: anything else goes through the SDK. */
export const INPUT_FIELDS: Readonly<Record<LeanCommandName, Readonly<Record<string, InputField>>>> = {
  HeadObjectCommand: READ,
  GetObjectCommand: READ,
  PutObjectCommand: {
    ...WRITE,
    CacheControl: header('cache-control'),
    ContentDisposition: header('content-disposition'),
    ContentEncoding: header('content-encoding'),
    ContentLanguage: header('content-language'),
    ContentType: header('content-type'),
    Expires: { kind: 'date-header', name: 'expires' },
    IfMatch: header('if-match'),
    IfNoneMatch: header('if-none-match'),
    ACL: header('x-amz-acl'),
    GrantFullControl: header('x-amz-grant-full-control'),
    GrantRead: header('x-amz-grant-read'),
    GrantReadACP: header('x-amz-grant-read-acp'),
    GrantWriteACP: header('x-amz-grant-write-acp'),
    Metadata: { kind: 'metadata' },
    ServerSideEncryption: header('x-amz-server-side-encryption'),
    StorageClass: header('x-amz-storage-class'),
    WebsiteRedirectLocation: header('x-amz-website-redirect-location'),
    SSEKMSKeyId: header('x-amz-server-side-encryption-aws-kms-key-id'),
    SSEKMSEncryptionContext: header('x-amz-server-side-encryption-context'),
    BucketKeyEnabled: { kind: 'boolean-header', name: 'x-amz-server-side-encryption-bucket-key-enabled' },
    Tagging: header('x-amz-tagging'),
    ObjectLockMode: header('x-amz-object-lock-mode'),
    ObjectLockLegalHoldStatus: header('x-amz-object-lock-legal-hold'),
  },
  UploadPartCommand: { ...WRITE, PartNumber: query('partNumber'), UploadId: query('uploadId') },
};

/** The commands the lean path serves. */
export type LeanCommandName = 'HeadObjectCommand' | 'GetObjectCommand' | 'PutObjectCommand' | 'UploadPartCommand';

/** The HTTP method of each. */
export const METHOD: Readonly<Record<LeanCommandName, 'HEAD' | 'GET' | 'PUT'>> = {
  HeadObjectCommand: 'HEAD',
  GetObjectCommand: 'GET',
  PutObjectCommand: 'PUT',
  UploadPartCommand: 'PUT',
};

/** A request body the lean path sends as it is; anything else (a stream, a Blob) goes through the SDK. */
export function leanBody(body: unknown): Uint8Array | undefined | null {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  return null;
}

/**
 * The first input field the lean path cannot serialize (unknown to its table, or of a type it does not send), or
 * undefined when it can send the whole input. Fields set to `undefined` are absent, as for the SDK.
 */
export function unknownField(name: LeanCommandName, input: Readonly<Record<string, unknown>>): string | undefined {
  const table = INPUT_FIELDS[name];
  for (const field in input) {
    const value = input[field];
    if (value === undefined) continue;
    const spec = table[field];
    if (spec === undefined) return field;
    switch (spec.kind) {
      case 'label':
        if (typeof value !== 'string' || value === '' || (field === 'Bucket' && value.includes('/'))) return field;
        break;
      case 'body':
        if (leanBody(value) === null) return field;
        break;
      case 'date-header':
        if (!(value instanceof Date) || Number.isNaN(value.getTime())) return field;
        break;
      case 'metadata':
        if (typeof value !== 'object' || value === null) return field;
        break;
      case 'sse-customer-key':
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) return field;
        break;
      case 'checksum-algorithm':
        // The lean path computes CRC32 itself; other algorithms are the SDK's.
        if (value !== 'CRC32') return field;
        break;
      case 'boolean-header':
        if (typeof value !== 'boolean') return field;
        break;
      case 'number-header':
      case 'header':
      case 'query':
        if (typeof value !== 'string' && typeof value !== 'number') return field;
        break;
    }
  }
  if (typeof input.Key !== 'string' || typeof input.Bucket !== 'string') return 'Key';
  return undefined;
}

/** What one request puts on the wire, besides the endpoint: headers, query and body. */
export interface WireRequest {
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

/** Serializes an input `unknownField` accepted. */
export function serialize(name: LeanCommandName, input: Readonly<Record<string, unknown>>): WireRequest {
  const table = INPUT_FIELDS[name];
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  let body: Uint8Array | undefined;
  for (const field in input) {
    const value = input[field];
    if (value === undefined) continue;
    const spec = table[field]!;
    switch (spec.kind) {
      case 'header':
      case 'number-header':
        headers[spec.name] = String(value);
        break;
      case 'date-header':
        headers[spec.name] = (value as Date).toUTCString();
        break;
      case 'boolean-header':
        headers[spec.name] = value ? 'true' : 'false';
        break;
      case 'query':
        query[spec.name] = String(value);
        break;
      case 'metadata':
        for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
          if (text !== undefined) headers[`x-amz-meta-${key.toLowerCase()}`] = String(text);
        }
        break;
      case 'sse-customer-key': {
        const bytes = sseCustomerKeyBytes(value as string | Uint8Array);
        headers['x-amz-server-side-encryption-customer-key'] = bytes.toString('base64');
        headers['x-amz-server-side-encryption-customer-key-md5'] = createHash('md5').update(bytes).digest('base64');
        break;
      }
      case 'body':
        body = leanBody(value) ?? undefined;
        break;
      case 'checksum-algorithm':
      case 'label':
        break;
    }
  }
  if (input.SSECustomerKey !== undefined) delete headers['x-amz-server-side-encryption-customer-key-MD5'];
  // `ChecksumAlgorithm: 'CRC32'` without the value: computed, as the SDK's flexible-checksums middleware does.
  if (input.ChecksumAlgorithm === 'CRC32') {
    headers['x-amz-sdk-checksum-algorithm'] = 'CRC32';
    headers['x-amz-checksum-crc32'] ??= new Crc32().update(body ?? new Uint8Array(0)).base64();
  }
  return { headers, query, body };
}

/** The key's bytes as the SDK's ssec middleware reads them: base64 of 32 bytes is decoded, anything else is UTF-8. */
function sseCustomerKeyBytes(value: string | Uint8Array): Buffer {
  if (typeof value !== 'string') return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (/^(?:[A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value)) {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length === 32) return decoded;
  }
  return Buffer.from(value, 'utf8');
}

/** One key segment as the SDK encodes a greedy label (`{Key+}`): `encodeURIComponent`, plus `!'()*`. */
function encodeSegment(segment: string): string {
  if (/^[\w.~-]*$/.test(segment)) return segment;
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A key as the path of its request: each segment encoded, '/' kept, exactly as the SDK's serializer. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeSegment).join('/');
}

/** A query string, keys sorted, encoded as SigV4 canonicalizes it (so what is sent is what was signed). */
export function queryString(query: Readonly<Record<string, string>>): string {
  const keys = Object.keys(query).sort();
  if (keys.length === 0) return '';
  return `?${keys.map((k) => `${encodeSegment(k)}=${encodeSegment(query[k]!)}`).join('&')}`;
}

type OutputType = 'string' | 'number' | 'boolean' | 'http-date' | 'iso-date';

/** Output fields read from the answer's headers (the union of the four commands' outputs, as their schemas say). */
const OUTPUT_HEADERS: ReadonlyArray<readonly [field: string, header: string, type: OutputType]> = [
  ['DeleteMarker', 'x-amz-delete-marker', 'boolean'],
  ['AcceptRanges', 'accept-ranges', 'string'],
  ['Expiration', 'x-amz-expiration', 'string'],
  ['Restore', 'x-amz-restore', 'string'],
  ['ArchiveStatus', 'x-amz-archive-status', 'string'],
  ['LastModified', 'last-modified', 'http-date'],
  ['ContentLength', 'content-length', 'number'],
  ['ETag', 'etag', 'string'],
  ['ChecksumCRC32', 'x-amz-checksum-crc32', 'string'],
  ['ChecksumCRC32C', 'x-amz-checksum-crc32c', 'string'],
  ['ChecksumCRC64NVME', 'x-amz-checksum-crc64nvme', 'string'],
  ['ChecksumSHA1', 'x-amz-checksum-sha1', 'string'],
  ['ChecksumSHA256', 'x-amz-checksum-sha256', 'string'],
  ['ChecksumType', 'x-amz-checksum-type', 'string'],
  ['MissingMeta', 'x-amz-missing-meta', 'number'],
  ['VersionId', 'x-amz-version-id', 'string'],
  ['CacheControl', 'cache-control', 'string'],
  ['ContentDisposition', 'content-disposition', 'string'],
  ['ContentEncoding', 'content-encoding', 'string'],
  ['ContentLanguage', 'content-language', 'string'],
  ['ContentType', 'content-type', 'string'],
  ['ContentRange', 'content-range', 'string'],
  ['Expires', 'expires', 'http-date'],
  ['ExpiresString', 'expiresstring', 'string'],
  ['WebsiteRedirectLocation', 'x-amz-website-redirect-location', 'string'],
  ['ServerSideEncryption', 'x-amz-server-side-encryption', 'string'],
  ['SSECustomerAlgorithm', 'x-amz-server-side-encryption-customer-algorithm', 'string'],
  ['SSECustomerKeyMD5', 'x-amz-server-side-encryption-customer-key-md5', 'string'],
  ['SSEKMSKeyId', 'x-amz-server-side-encryption-aws-kms-key-id', 'string'],
  ['SSEKMSEncryptionContext', 'x-amz-server-side-encryption-context', 'string'],
  ['BucketKeyEnabled', 'x-amz-server-side-encryption-bucket-key-enabled', 'boolean'],
  ['StorageClass', 'x-amz-storage-class', 'string'],
  ['RequestCharged', 'x-amz-request-charged', 'string'],
  ['ReplicationStatus', 'x-amz-replication-status', 'string'],
  ['PartsCount', 'x-amz-mp-parts-count', 'number'],
  ['TagCount', 'x-amz-tagging-count', 'number'],
  ['ObjectLockMode', 'x-amz-object-lock-mode', 'string'],
  ['ObjectLockRetainUntilDate', 'x-amz-object-lock-retain-until-date', 'iso-date'],
  ['ObjectLockLegalHoldStatus', 'x-amz-object-lock-legal-hold', 'string'],
  ['Size', 'x-amz-object-size', 'number'],
];

/** {@link OUTPUT_HEADERS} by header name. */
const BY_HEADER: ReadonlyMap<string, readonly [field: string, type: OutputType]> = new Map(OUTPUT_HEADERS.map(([field, header, type]) => [header, [field, type]]));

/** Which output fields each command has (PutObject and UploadPart have no LastModified, ContentType...). */
const OUTPUT_OF: Readonly<Record<LeanCommandName, ReadonlySet<string> | undefined>> = {
  HeadObjectCommand: undefined,
  GetObjectCommand: undefined,
  PutObjectCommand: new Set(['Expiration', 'ETag', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256', 'ChecksumType', 'ServerSideEncryption', 'VersionId', 'SSECustomerAlgorithm', 'SSECustomerKeyMD5', 'SSEKMSKeyId', 'SSEKMSEncryptionContext', 'BucketKeyEnabled', 'Size', 'RequestCharged']),
  UploadPartCommand: new Set(['ServerSideEncryption', 'ETag', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256', 'SSECustomerAlgorithm', 'SSECustomerKeyMD5', 'SSEKMSKeyId', 'BucketKeyEnabled', 'RequestCharged']),
};

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

/** The SDK's `$metadata` of an answer. */
export interface ResponseMetadata {
  httpStatusCode: number;
  requestId: string | undefined;
  extendedRequestId: string | undefined;
  cfId: string | undefined;
  attempts: number;
  totalRetryDelay: number;
  clockSkewCorrected?: boolean;
}

/** `$metadata` from an answer's status and headers (attempts filled in by the retry loop). */
export function metadataOf(status: number, headers: IncomingHttpHeaders): ResponseMetadata {
  return {
    httpStatusCode: status,
    requestId: one(headers['x-amz-request-id']),
    extendedRequestId: one(headers['x-amz-id-2']),
    cfId: one(headers['x-amz-cf-id']),
    attempts: 1,
    totalRetryDelay: 0,
  };
}

/** The SDK-shaped output of a successful answer, from its headers. */
export function outputOf(name: LeanCommandName, headers: IncomingHttpHeaders): Record<string, unknown> {
  const wanted = OUTPUT_OF[name];
  const output: Record<string, unknown> = {};
  const metadata: Record<string, string> | undefined = wanted === undefined ? {} : undefined;
  // The answer's headers (a handful) against the table, rather than the table (dozens) against the answer.
  for (const headerName in headers) {
    const known = BY_HEADER.get(headerName);
    if (known === undefined) {
      if (metadata !== undefined && headerName.startsWith('x-amz-meta-')) metadata[headerName.slice(11)] = one(headers[headerName]) ?? '';
      continue;
    }
    const [field, type] = known;
    const raw = one(headers[headerName]);
    if (raw === undefined || (wanted !== undefined && !wanted.has(field))) continue;
    switch (type) {
      case 'string':
        output[field] = raw;
        break;
      case 'number':
        output[field] = Number(raw);
        break;
      case 'boolean':
        output[field] = raw === 'true';
        break;
      case 'http-date':
      case 'iso-date': {
        const date = new Date(raw);
        if (!Number.isNaN(date.getTime())) output[field] = date;
        if (field === 'Expires') output.ExpiresString = raw;
        break;
      }
    }
  }
  if (metadata !== undefined) output.Metadata = metadata;
  return output;
}

/** The fields of an S3 XML error body (`<Error><Code>...`), or an empty object when there is none. */
export function parseErrorXml(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const error = /<Error>([\s\S]*)<\/Error>/.exec(body)?.[1];
  if (error === undefined) return fields;
  for (const match of error.matchAll(/<([A-Za-z0-9]+)>([^<]*)<\/\1>/g)) fields[match[1]!] = decodeXml(match[2]!);
  return fields;
}

function decodeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (all, name: string, dec?: string, hex?: string) => {
    if (dec !== undefined) return String.fromCodePoint(Number(dec));
    if (hex !== undefined) return String.fromCodePoint(parseInt(hex, 16));
    return ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[name] ?? all;
  });
}

/**
 * The SDK-shaped exception for an error answer: the code from the XML body (`name` and `Code`), or, without a
 * body (HEAD), what the SDK names it: `NotFound` for 404, else `Unknown`. `$fault` by status, `$metadata` kept.
 */
export function serviceError(status: number, headers: IncomingHttpHeaders, body: string, metadata: ResponseMetadata): S3ServiceException {
  const fields = parseErrorXml(body);
  const code = fields.Code ?? (status === 404 ? 'NotFound' : 'Unknown');
  if (fields.RequestId !== undefined && metadata.requestId === undefined) metadata.requestId = fields.RequestId;
  const message = fields.Message ?? (fields.Code === undefined ? 'UnknownError' : fields.Code);
  const error = new S3ServiceException({ name: code, $fault: status < 500 ? 'client' : 'server', $metadata: metadata, message });
  Object.assign(error, fields, { $response: { statusCode: status, headers: flatHeaders(headers), body: undefined } });
  if (fields.Message !== undefined) Object.assign(error, { message: fields.Message });
  return error;
}

/** Headers as the SDK's HttpResponse holds them (one string each). */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name in headers) {
    const value = one(headers[name]);
    if (value !== undefined) flat[name] = value;
  }
  return flat;
}
