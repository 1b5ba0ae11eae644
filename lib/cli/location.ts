/** What an operand names: an S3 object or prefix (`s3://bucket/key`), a local path, or stdin/stdout (`-`). */
import { statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { UsageError } from './args';

export type Location =
  | { readonly kind: 's3'; readonly bucket: string; readonly key: string }
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'stdio' };

export type S3Location = Extract<Location, { kind: 's3' }>;

/** Parses an operand. `s3://bucket` and `s3://bucket/` have the key `''`. */
export function parseLocation(operand: string): Location {
  if (operand === '-') return { kind: 'stdio' };
  if (/^s3:\/\//i.test(operand)) {
    const rest = operand.slice(5);
    const slash = rest.indexOf('/');
    return slash < 0 ? { kind: 's3', bucket: rest, key: '' } : { kind: 's3', bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
  }
  return { kind: 'local', path: operand };
}

/** An operand that must be in S3, with a bucket (and a key, when `needKey`). */
export function s3Operand(operand: string, command: string, needKey: boolean): S3Location {
  const location = parseLocation(operand);
  if (location.kind !== 's3') throw new UsageError(`expected s3://bucket${needKey ? '/key' : ''}, got '${operand}'`, command);
  if (location.bucket === '') throw new UsageError(`no bucket in '${operand}'`, command);
  if (needKey && location.key === '') throw new UsageError(`no key in '${operand}' (s3://bucket/key)`, command);
  return location;
}

/** `s3://bucket/key` (or `s3://bucket` for the key `''`). */
export function s3Url(bucket: string, key = ''): string {
  return key === '' ? `s3://${bucket}` : `s3://${bucket}/${key}`;
}

/** The target key for a file or object copied "into" `key`: a key that is empty or ends in `/` gets the source's name. */
export function targetKey(key: string, sourceName: string): string {
  return key === '' || key.endsWith('/') ? `${key}${sourceName}` : key;
}

/** The local target for an object: into an existing directory (or a path ending in a separator) it keeps its name. */
export function targetPath(path: string, key: string): string {
  const name = posix.basename(key);
  if (path.endsWith('/') || path.endsWith('\\')) return join(path, name);
  try {
    return statSync(path).isDirectory() ? join(path, name) : path;
  } catch {
    return path;
  }
}
