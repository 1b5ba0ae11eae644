/**
 * The one place for S3's key order and for the listing positions built on it: S3 lists keys in UTF-8 binary
 * order; a listing position ("resume token") says which key or common prefix a page ended at.
 */

/**
 * A code unit's weight in UTF-8 byte order. UTF-16 order differs from UTF-8 byte order only between surrogates
 * (D800-DFFF, characters beyond U+FFFF, whose UTF-8 starts with F0-F4) and U+E000-U+FFFF (EE-EF): surrogates
 * must sort after them.
 */
function weight(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * Compares two keys in UTF-8 binary order (S3's listing order), without encoding them: negative, 0 or positive.
 *
 * @example
 * ```ts
 * ['b', 'a', '\u{1F600}', '\uFFFD'].sort(compareKeys); // ['a', 'b', '\uFFFD', '\u{1F600}'] (UTF-16 order differs)
 * ```
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return weight(x) - weight(y);
  }
  return a.length - b.length;
}

/**
 * The first string after `key` in UTF-8 binary order: `key + '\0'`. A range that must include `key` as its last
 * key ends before it.
 */
export function keySuccessor(key: string): string {
  return `${key}\u0000`;
}

/** A listing position: after this key, or after every key of this common prefix. */
export interface ListingPosition {
  /** The last key (or common prefix) already delivered; undefined: nothing yet. */
  readonly after: string | undefined;
  /** True when `after` is a common prefix (a delimiter listing): the prefix itself must not be delivered again. */
  readonly prefix: boolean;
}

const TOKEN_VERSION = 'r1';

/** Encodes a position as an opaque, URL- and shell-safe token (`r1.` + base64url of JSON). */
export function encodePosition(position: ListingPosition): string {
  const body = position.after === undefined ? {} : { a: position.after, ...(position.prefix ? { p: 1 } : {}) };
  return `${TOKEN_VERSION}.${Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')}`;
}

/** Decodes a token of {@link encodePosition}; undefined when it is not one. */
export function decodePosition(token: string): ListingPosition | undefined {
  if (!token.startsWith(`${TOKEN_VERSION}.`)) return undefined;
  try {
    const body: unknown = JSON.parse(Buffer.from(token.slice(TOKEN_VERSION.length + 1), 'base64url').toString('utf8'));
    if (typeof body !== 'object' || body === null) return undefined;
    const { a, p } = body as { a?: unknown; p?: unknown };
    if (a === undefined) return { after: undefined, prefix: false };
    if (typeof a !== 'string' || (p !== undefined && p !== 1)) return undefined;
    return { after: a, prefix: p === 1 };
  } catch {
    return undefined;
  }
}

/** The index of the first element of sorted `keys` that is not before `bound` (binary search). */
export function firstNotBefore(keys: readonly string[], bound: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareKeys(keys[mid]!, bound) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
