import { s3Error, type ErrorContext, type S3Error } from '../errors';

/**
 * An SSE-C customer key (server-side encryption with a key you hold): exactly 32 bytes, as bytes or as their
 * base64 text. S3 encrypts with it and keeps only its MD5; every later read, HEAD or copy of the object must send
 * the same key. rx-s3 sends it with each request that touches the object: each part of an upload, each range of
 * a download, the HEAD before a download or copy, and as the copy source's key.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto';
 * const sseCustomerKey: SseCustomerKey = randomBytes(32); // keep it: without it the object cannot be read
 * rx.putObject('vault', 'secret.txt', 'hi', { sseCustomerKey });
 * rx.getObject('vault', 'secret.txt', { sseCustomerKey });
 * ```
 */
export type SseCustomerKey = Uint8Array | string;

/** The SDK's input fields that carry a customer key for the object itself. */
export interface SseCustomerFields {
  readonly SSECustomerAlgorithm?: string;
  readonly SSECustomerKey?: string;
}

/** The SDK's input fields that carry a customer key for the source of a copy. */
export interface CopySourceSseFields {
  readonly CopySourceSSECustomerAlgorithm?: string;
  readonly CopySourceSSECustomerKey?: string;
}

const KEY_BYTES = 32;

function keyBytes(key: SseCustomerKey): Buffer | undefined {
  if (typeof key === 'string') {
    const decoded = Buffer.from(key, 'base64');
    return decoded.toString('base64') === key ? decoded : undefined;
  }
  return key instanceof Uint8Array ? Buffer.from(key.buffer, key.byteOffset, key.byteLength) : undefined;
}

/** A customer key must be 32 bytes (AES-256), given as bytes or as base64. */
export function checkSseCustomerKey(key: SseCustomerKey | undefined, context: ErrorContext, name = 'sseCustomerKey'): S3Error | undefined {
  if (key === undefined) return undefined;
  const bytes = keyBytes(key);
  if (bytes === undefined || bytes.length !== KEY_BYTES) {
    return s3Error('InvalidInput', context, `${name} must be ${KEY_BYTES} bytes (a Uint8Array, or their base64 text)`);
  }
  return undefined;
}

/** The fields for requests on an SSE-C object (the SDK adds the key's MD5). Empty without a key. */
export function sseCustomerFields(key: SseCustomerKey | undefined): SseCustomerFields {
  if (key === undefined) return {};
  return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: keyBytes(key)!.toString('base64') };
}

/** The fields for a copy whose source is an SSE-C object. Empty without a key. */
export function copySourceSseFields(key: SseCustomerKey | undefined): CopySourceSseFields {
  if (key === undefined) return {};
  return { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: keyBytes(key)!.toString('base64') };
}
