import { s3Error, type ErrorContext, type S3Error } from '../errors';

/** The one place for the rules rx-s3 checks locally, before any request is sent. Each returns a problem or undefined. */

/** A value as a message shows it; never throws (`JSON.stringify` does on a BigInt, a template on a Symbol). */
export function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return typeof value === 'bigint' ? `${value.toString()}n` : Object.prototype.toString.call(value);
  }
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** S3's bucket naming rules for general-purpose buckets (3-63 chars, lower case, digits, dots, hyphens). */
export function checkBucket(bucket: unknown, context: ErrorContext): S3Error | undefined {
  const invalid = (why: string): S3Error => s3Error('InvalidInput', context, `invalid bucket name ${show(bucket)}: ${why}`);
  if (typeof bucket !== 'string') return invalid('must be a string');
  if (bucket.length < 3 || bucket.length > 63) return invalid('must be 3 to 63 characters long');
  if (!BUCKET_NAME.test(bucket)) {
    return invalid('use lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit');
  }
  if (bucket.includes('..')) return invalid('must not contain two adjacent dots');
  if (IPV4.test(bucket)) return invalid('must not look like an IP address');
  return undefined;
}

/**
 * A lone UTF-16 surrogate: such a string has no UTF-8 form (`String.prototype.isWellFormed`, which Node 20's
 * TypeScript lib does not declare), so the SDK fails late with "URI malformed".
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** Keys are 1 to 1,024 bytes of well-formed UTF-8. */
export function checkKey(key: unknown, context: ErrorContext, what = 'key'): S3Error | undefined {
  if (typeof key !== 'string') return s3Error('InvalidInput', context, `${what} must be a string`);
  if (key.length === 0) return s3Error('InvalidInput', context, `${what} must not be empty`);
  if (LONE_SURROGATE.test(key)) return s3Error('InvalidInput', context, `${what} ${JSON.stringify(key)} is not well-formed Unicode (a lone surrogate)`);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) return s3Error('InvalidInput', context, `${what} is ${bytes} bytes long; the limit is ${MAX_KEY_BYTES}`);
  return undefined;
}

/** An optional text that goes into a URL (a listing's prefix, delimiter, start key): well-formed Unicode. */
export function checkText(value: unknown, name: string, context: ErrorContext): S3Error | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return s3Error('InvalidInput', context, `${name} must be a string`);
  if (LONE_SURROGATE.test(value)) return s3Error('InvalidInput', context, `${name} ${JSON.stringify(value)} is not well-formed Unicode (a lone surrogate)`);
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) return s3Error('InvalidInput', context, `${name} is longer than ${MAX_KEY_BYTES} bytes`);
  return undefined;
}

/** An optional HTTP header value (a content type): printable ASCII, as `checkMetadata` asks of metadata values. */
export function checkHeaderValue(value: unknown, name: string, context: ErrorContext): S3Error | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !HEADER_VALUE.test(value)) return s3Error('InvalidInput', context, `${name} must be printable ASCII, got ${show(value)}`);
  return undefined;
}

/** The longest key S3 accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/**
 * Characters XML 1.0 cannot carry, or carries changed (a carriage return is read back as a line feed): a key with
 * one can be written and read, but a listing (XML) names it differently, so it could never be found, copied by
 * listing, or cleaned up by prefix. rx-s3 refuses to create such keys; reading and deleting existing ones works.
 */
// eslint-disable-next-line no-control-regex
const NOT_IN_XML = /[\u0000-\u0008\u000B-\u001F\uFFFE\uFFFF]/;

/** A key rx-s3 is about to create (put, upload, copy or move target): {@link checkKey}, and listable. */
export function checkNewKey(key: unknown, context: ErrorContext, what = 'key'): S3Error | undefined {
  const problem = checkKey(key, context, what);
  if (problem !== undefined || typeof key !== 'string') return problem;
  const bad = NOT_IN_XML.exec(key);
  if (bad === null) return undefined;
  const code = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  return s3Error('InvalidInput', context, `${what} ${JSON.stringify(key)} contains ${code}, which S3 listings (XML) cannot carry: the object could not be listed back`);
}

/** The longest a SigV4 presigned URL may live: 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Presigned URL lifetimes: a whole number of seconds from 1 s to 7 days. */
export function checkTtl(ttl: unknown, context: ErrorContext): S3Error | undefined {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_PRESIGN_SECONDS) {
    return s3Error('InvalidInput', context, `ttl must be a whole number of seconds from 1 to ${MAX_PRESIGN_SECONDS} (7 days), got ${String(ttl)}`);
  }
  return undefined;
}

/** A positive whole number (counts, sizes), optionally with bounds. */
export function checkCount(value: unknown, name: string, context: ErrorContext, min = 1, max = Number.MAX_SAFE_INTEGER): S3Error | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return s3Error('InvalidInput', context, `${name} must be a whole number from ${min} to ${max}, got ${String(value)}`);
  }
  return undefined;
}

/** An optional boolean option. */
export function checkFlag(value: unknown, name: string, context: ErrorContext): S3Error | undefined {
  return value === undefined || typeof value === 'boolean' ? undefined : s3Error('InvalidInput', context, `${name} must be true or false, got ${String(value)}`);
}

/** The first problem of several checks, in order. */
export function firstProblem(...problems: ReadonlyArray<S3Error | undefined>): S3Error | undefined {
  return problems.find((problem) => problem !== undefined);
}

const HEADER_TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// eslint-disable-next-line no-control-regex
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/** User metadata travels as `x-amz-meta-*` headers: names must be header tokens, values printable ASCII. */
export function checkMetadata(metadata: Readonly<Record<string, string>> | undefined, context: ErrorContext): S3Error | undefined {
  if (metadata === undefined) return undefined;
  for (const [name, value] of Object.entries(metadata)) {
    if (!HEADER_TOKEN.test(name)) return s3Error('InvalidInput', context, `metadata name ${JSON.stringify(name)} is not a valid header name`);
    // The SDK reads metadata into a plain object, where this name sets the prototype instead: it would be lost.
    if (name.toLowerCase() === '__proto__') return s3Error('InvalidInput', context, `metadata name ${JSON.stringify(name)} cannot be read back (JavaScript objects reserve it)`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      return s3Error('InvalidInput', context, `metadata value of ${JSON.stringify(name)} must be printable ASCII (encode other text first)`);
    }
    // HTTP trims header values, and servers drop empty ones: such a value would not come back as given.
    if (value === '' || value.trim() !== value) {
      return s3Error('InvalidInput', context, `metadata value of ${JSON.stringify(name)} must not be empty or start or end with a space (HTTP would not keep it)`);
    }
  }
  return undefined;
}

/** The checks of a server-side copy (and so of a move): both buckets, both keys, the replacement metadata. */
export function checkCopy(
  source: { readonly bucket: string; readonly key: string },
  target: { readonly bucket: string; readonly key: string },
  metadata: Readonly<Record<string, string>> | undefined,
  context: ErrorContext,
): S3Error | undefined {
  return firstProblem(
    checkBucket(source.bucket, context),
    checkKey(source.key, context, 'source key'),
    checkBucket(target.bucket, context),
    checkNewKey(target.key, context, 'target key'),
    checkMetadata(metadata, context),
  );
}
