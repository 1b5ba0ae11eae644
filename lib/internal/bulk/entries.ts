/**
 * The two sorted streams a bulk job merges: a local directory tree walked in S3 key order, and a bucket prefix
 * listed page by page. Neither is ever held whole: the walk holds the sorted entries of the directories on the
 * current path, the listing one page (and the next, fetched ahead).
 */
import { opendir, stat, lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { take, type Observable } from 'rxjs';
import { s3Error, toS3Error, type S3Error } from '../../errors';
import type { SkipReason } from '../../bulk-events';
import { listObjects } from '../../operations/list-objects';
import type { ClientContext } from '../context';
import type { KeyRange } from '../../events';
import { inKeyRange } from '../../operations/key-ranges';

/** One object or file, by its key relative to the job's root. */
export interface Entry {
  readonly key: string;
  readonly size: number;
  /** Local mtime, or the object's LastModified. */
  readonly mtimeMs: number;
  readonly etag?: string;
  /** The local path, for files. */
  readonly path?: string;
  /** Present for what exists but must be left alone (a symlink not followed, a socket...). */
  readonly skip?: { readonly reason: SkipReason; readonly detail: string };
  /** Present for what could not be read (an unreadable directory). */
  readonly error?: S3Error;
}

/** S3's key order: the UTF-8 bytes. Equal to UTF-16 order unless a string holds characters from U+D800 up. */
export function compareKeys(a: string, b: string): number {
  if (!/[\ud800-\uffff]/.test(a) && !/[\ud800-\uffff]/.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface WalkOptions {
  readonly followSymlinks: boolean;
  /** Only the keys of this range: files outside it are not stat'ed, directories that cannot hold one not read. */
  readonly range?: KeyRange;
}

/** Whether a key under `directoryKey` (ending in `/`) can lie in `range`. */
function mayHoldKeys(directoryKey: string, range: KeyRange): boolean {
  if (range.endBefore !== undefined && compareKeys(directoryKey, range.endBefore) >= 0) return false;
  return range.startAfter === undefined || compareKeys(range.startAfter, directoryKey) < 0 || range.startAfter.startsWith(directoryKey);
}

/** Whether a walked item can be yielded, or (a directory) descended into, under `range`. */
function wanted(key: string, range: KeyRange | undefined): boolean {
  if (range === undefined) return true;
  return key.endsWith('/') ? mayHoldKeys(key, range) : inKeyRange(key, range);
}

interface Frame {
  readonly items: Array<{ readonly sortKey: string; readonly key: string; readonly path: string; readonly stats: Stats | undefined; readonly entry?: Entry }>;
  index: number;
  /** dev:ino of this directory, to refuse symlink loops. */
  readonly id: string;
}

const STAT_BATCH = 64;

/**
 * Walks `root` in S3 key order: each directory's entries are sorted with directories as `name/`, and a
 * directory's contents come where `name/` sorts. Yields regular files (and, with `followSymlinks`, what links
 * point to), and entries for what is left alone or unreadable. Stops when `signal` aborts.
 */
export async function* walkLocal(root: string, options: WalkOptions, signal: AbortSignal): AsyncGenerator<Entry> {
  const rootStats = await stat(root);
  const stack: Frame[] = [await readFrame(root, '', `${rootStats.dev}:${rootStats.ino}`, options)];
  while (stack.length > 0) {
    signal.throwIfAborted();
    const frame = stack[stack.length - 1]!;
    const item = frame.items[frame.index++];
    if (item === undefined) {
      stack.pop();
      continue;
    }
    if (item.entry !== undefined) {
      yield item.entry;
      continue;
    }
    const stats = item.stats!;
    if (stats.isDirectory()) {
      const id = `${stats.dev}:${stats.ino}`;
      if (stack.some((f) => f.id === id)) {
        yield { key: item.key, size: 0, mtimeMs: 0, path: item.path, skip: { reason: 'symlink', detail: 'a symlink loop' } };
        continue;
      }
      try {
        stack.push(await readFrame(item.path, item.key, id, options));
      } catch (cause) {
        yield { key: item.sortKey, size: 0, mtimeMs: 0, path: item.path, error: toS3Error(cause, { operation: 'walk', key: item.path }) };
      }
    } else {
      yield { key: item.key, size: stats.size, mtimeMs: stats.mtimeMs, path: item.path };
    }
  }
}

async function readFrame(dir: string, prefix: string, id: string, options: WalkOptions): Promise<Frame> {
  const raw: Array<{ name: string; kind: 'file' | 'dir' | 'link' | 'special' | 'unknown' }> = [];
  for await (const dirent of await opendir(dir)) {
    const kind = dirent.isFile() ? 'file' : dirent.isDirectory() ? 'dir' : dirent.isSymbolicLink() ? 'link' : dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice() ? 'special' : 'unknown';
    const key = `${prefix}${dirent.name}`;
    if (kind === 'file' && !wanted(key, options.range)) continue;
    if (kind === 'dir' && !wanted(`${key}/`, options.range)) continue;
    raw.push({ name: dirent.name, kind });
  }
  const items: Frame['items'][number][] = [];
  for (let i = 0; i < raw.length; i += STAT_BATCH) {
    const batch = raw.slice(i, i + STAT_BATCH);
    const resolved = await Promise.all(batch.map(async ({ name, kind }) => {
      const path = join(dir, name);
      const key = `${prefix}${name}`;
      if (name.includes('\ufffd')) return { sortKey: key, key, path, stats: undefined, entry: { key, size: 0, mtimeMs: 0, path, skip: { reason: 'bad-name' as const, detail: 'the file name is not valid UTF-8' } } };
      if (kind === 'special') return { sortKey: key, key, path, stats: undefined, entry: { key, size: 0, mtimeMs: 0, path, skip: { reason: 'special' as const, detail: 'a socket, FIFO or device' } } };
      if (kind === 'link' && !options.followSymlinks) return { sortKey: key, key, path, stats: undefined, entry: { key, size: 0, mtimeMs: 0, path, skip: { reason: 'symlink' as const, detail: 'symlinks are not followed' } } };
      try {
        const stats = kind === 'link' ? await stat(path) : await lstat(path);
        if (stats.isDirectory()) return { sortKey: `${key}/`, key: `${key}/`, path, stats };
        if (!stats.isFile()) return { sortKey: key, key, path, stats: undefined, entry: { key, size: 0, mtimeMs: 0, path, skip: { reason: 'special' as const, detail: 'not a regular file' } } };
        return { sortKey: key, key, path, stats };
      } catch (cause) {
        // A dangling link, or an entry that vanished: report it, go on.
        return { sortKey: key, key, path, stats: undefined, entry: { key, size: 0, mtimeMs: 0, path, error: toS3Error(cause, { operation: 'walk', key: path }) } };
      }
    }));
    items.push(...resolved.filter((item) => wanted(item.sortKey, options.range)));
  }
  items.sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  return { items, index: 0, id };
}

/**
 * Lists `bucket` under `prefix`, one ListObjectsV2 request per page (each asks for the keys after the last one
 * seen), the next page fetched while this one is consumed, only the keys of `range` (relative to `prefix`).
 * Keys are yielded relative to `prefix`. A server that
 * answers keys out of order fails the listing (`ServiceError`): the merge depends on the order.
 */
export async function* listRemote(ctx: ClientContext, bucket: string, prefix: string, signal: AbortSignal, range: KeyRange = {}): AsyncGenerator<Entry> {
  const context = { operation: 'listObjects', bucket };
  const endBefore = range.endBefore === undefined ? undefined : prefix + range.endBefore;
  const fetchPage = async (startAfter: string | undefined) => {
    const page = await firstValue(listObjects(ctx, bucket, { prefix: prefix === '' ? undefined : prefix, startAfter, endBefore }), signal);
    if (page.err) throw page.val;
    return page.val;
  };
  let last: string | undefined;
  let pending = fetchPage(range.startAfter === undefined ? undefined : prefix + range.startAfter);
  for (;;) {
    const page = await pending;
    const lastKey = page.objects[page.objects.length - 1]?.key;
    if (!page.isLast) {
      if (lastKey === undefined) throw s3Error('ServiceError', context, 'the server sent an empty page of a truncated listing');
      pending = fetchPage(lastKey);
      pending.catch(() => undefined); // reported when awaited
    }
    for (const o of page.objects) {
      if (last !== undefined && compareKeys(o.key, last) <= 0) throw s3Error('ServiceError', context, `the listing is not in key order (${o.key} after ${last})`);
      last = o.key;
      yield { key: o.key.slice(prefix.length), size: o.size, mtimeMs: o.lastModified?.getTime() ?? 0, etag: o.etag };
    }
    if (page.isLast) return;
  }
}

/** The first value of a one-request stream, unsubscribed (so aborted) when `signal` aborts. */
function firstValue<T>(source$: Observable<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      subscription.unsubscribe();
      reject(signal.reason);
    };
    const subscription = source$.pipe(take(1)).subscribe({ next: resolve, error: reject, complete: () => signal.removeEventListener('abort', onAbort) });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** One key of the merge: present at the source, the target, or both. */
export interface Pair {
  readonly key: string;
  readonly source: Entry | undefined;
  readonly target: Entry | undefined;
}

/** Merges two streams sorted by {@link compareKeys} into one, pairing equal keys. */
export async function* mergeSorted(source: AsyncIterable<Entry>, target: AsyncIterable<Entry> | undefined): AsyncGenerator<Pair> {
  const a = source[Symbol.asyncIterator]();
  const b = target?.[Symbol.asyncIterator]();
  let x = await a.next();
  let y = b === undefined ? ({ done: true, value: undefined } as IteratorResult<Entry>) : await b.next();
  try {
    while (x.done !== true || y.done !== true) {
      const order = x.done === true ? 1 : y.done === true ? -1 : compareKeys(x.value.key, y.value.key);
      if (order < 0) {
        yield { key: x.value!.key, source: x.value, target: undefined };
        x = await a.next();
      } else if (order > 0) {
        yield { key: y.value!.key, source: undefined, target: y.value };
        y = await b!.next();
      } else {
        yield { key: x.value!.key, source: x.value, target: y.value };
        x = await a.next();
        y = await b!.next();
      }
    }
  } finally {
    await a.return?.();
    await b?.return?.();
  }
}

/**
 * Why a key must not become a local path under the target directory, or undefined when it is safe: no absolute
 * path, no empty, `.` or `..` segment, no backslash, no NUL. A key ending in `/` is a directory marker.
 */
export function unsafeKey(relativeKey: string): { reason: SkipReason; detail: string } | undefined {
  if (relativeKey === '' || relativeKey.endsWith('/')) return { reason: 'directory-marker', detail: 'a key ending in / names a folder, not a file' };
  if (relativeKey.startsWith('/')) return { reason: 'unsafe-key', detail: 'an absolute path' };
  if (relativeKey.includes('\\')) return { reason: 'unsafe-key', detail: 'a backslash (a path separator on Windows)' };
  if (relativeKey.includes('\0')) return { reason: 'unsafe-key', detail: 'a NUL character' };
  for (const segment of relativeKey.split('/')) {
    if (segment === '') return { reason: 'unsafe-key', detail: 'an empty path segment (//)' };
    if (segment === '.' || segment === '..') return { reason: 'unsafe-key', detail: `a "${segment}" segment` };
  }
  return undefined;
}

/**
 * Remembers the files a download wrote, in key order, to refuse a key under one of them (`a` then `a/b`): holds
 * only the files that can still be a prefix of a later key (at most one per path depth).
 */
export class CollisionGuard {
  private readonly files: string[] = [];

  /** The file `key` would have to be a directory of, or undefined. Call in key order, for every key written. */
  check(key: string): string | undefined {
    while (this.files.length > 0) {
      const top = this.files[this.files.length - 1]!;
      if (key.startsWith(`${top}/`)) return top;
      if (key.startsWith(top)) break; // `a.txt` after `a`: `a/...` may still come
      this.files.pop();
    }
    return undefined;
  }

  add(key: string): void {
    this.files.push(key);
  }
}
