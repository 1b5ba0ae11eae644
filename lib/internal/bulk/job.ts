/**
 * The one engine of the bulk operations: merges the sorted source and target streams, decides per key, runs the
 * per-object work (the single-object operations) with bounded concurrency under one {@link Budget}, and reports
 * per-object events, throttled aggregate progress and one summary.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { mkdir, realpath, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { lookup } from 'mime-types';
import { Observable } from 'rxjs';
import { Err, Ok, type Result } from 'ts-results';
import { isS3Error, s3Error, toS3Error, type ErrorContext, type S3Error } from '../../errors';
import type { BulkAction, BulkEvent, TransferReason } from '../../bulk-events';
import type { KeyRange } from '../../events';
import { deleteObject } from '../../operations/delete-object';
import { deleteObjects, DELETE_BATCH_SIZE } from '../../operations/delete-objects';
import { downloadFile } from '../../operations/download-file';
import { getObject } from '../../operations/get-object';
import { uploadFile } from '../../operations/upload-file';
import { uploadStream } from '../../operations/upload-stream';
import { Budget, underBudget } from '../budget';
import { withTimeouts } from '../deadline';
import type { ClientContext } from '../context';
import { DEFAULT_PART_SIZE } from '../multipart';
import type { CallOptions } from '../timeouts';
import { copyOne, moveOne } from './copy-adapter';
import { CollisionGuard, listRemote, mergeSorted, unsafeKey, walkLocal, type Entry, type Pair } from './entries';
import { compileFilters, type Filter } from './filters';

/** One side of a job: a local directory, or a bucket prefix reached through a client. */
export type Place =
  | { readonly kind: 'local'; readonly root: string }
  | { readonly kind: 's3'; readonly ctx: ClientContext; readonly bucket: string; readonly prefix: string };

/**
 * The options every bulk operation takes (the last argument of each; `sync` takes them in its one argument).
 * Values out of range make the job emit one `Err` (`InvalidInput`) before any request.
 *
 * @example
 * ```ts
 * const options: BulkOptions = { concurrency: 16, maxBandwidth: 20 * 1024 * 1024, filters: [{ exclude: '*.tmp' }], dryRun: true };
 * rx.uploadDirectory('./photos', 'backup', 'photos/', options).subscribe(console.log);
 * ```
 */
export interface BulkOptions extends CallOptions {
  /** Objects in flight at once. Default 32. */
  readonly concurrency?: number;
  /**
   * The budget all requests of the job share (requests and bytes in flight, bandwidth). Pass one budget to several
   * jobs to bound them together. Default: a budget of the job's own with `concurrency` requests and `maxBandwidth`.
   */
  readonly budget?: Budget;
  /** Bytes per second for the job's own budget (ignored when `budget` is given). */
  readonly maxBandwidth?: number;
  /** Stop at the first failed object (it ends the job with an `Err`). Default false: go on and report. */
  readonly failFast?: boolean;
  /** Report what would be done (`planned` events); send nothing that changes anything, write nothing. */
  readonly dryRun?: boolean;
  /** Include/exclude filters in the AWS CLI's order: the last one that matches a key decides. */
  readonly filters?: readonly Filter[];
  /** Part size of multipart uploads and ranged downloads (the single-request threshold too). Default 8 MiB. */
  readonly partSize?: number;
  /** Parts or ranges in flight per object. Default 4. */
  readonly partConcurrency?: number;
  /** Uploads: follow symbolic links (directory loops are refused). Default false: links are skipped. */
  readonly followSymlinks?: boolean;
  /** At most one aggregate progress tick per this many milliseconds. Default 250. */
  readonly progressInterval?: number;
  /**
   * Take only the keys of this range, relative to the job's prefix or directory (the keys the events name), on
   * both sides: the listings ask only for it and the walk skips what lies outside (directories whole, unread).
   * N jobs over the N ranges of `cutKeyRanges` together do what one job does, each key once (the CLI's `--shard`).
   */
  readonly range?: KeyRange;
}

/**
 * What `sync` compares, beyond what every bulk job takes.
 *
 * @example
 * ```ts
 * const compare: SyncCompareOptions = { delete: true, sizeOnly: true };
 * rx.sync({ from: { bucket: 'www' }, to: './mirror', ...compare }).subscribe(console.log);
 * ```
 */
export interface SyncCompareOptions {
  /** Delete what exists at the target but not at the source (skipped when anything failed). Default false. */
  readonly delete?: boolean;
  /** Transfer only when the size differs (or the target is missing). */
  readonly sizeOnly?: boolean;
  /** Transfer when the timestamps differ at all (to the second), not only when the source is newer. */
  readonly exactTimestamps?: boolean;
  /**
   * Compare contents where the target's (or source's) ETag is a single-part MD5: a local file is hashed, two
   * objects compare ETags. Where no such ETag exists, size and time decide.
   */
  readonly compareContent?: boolean;
}

/** A job, resolved. */
export interface JobSpec {
  readonly operation: string;
  readonly source: Place;
  /** Undefined for `deletePrefix`. */
  readonly target: Place | undefined;
  /** Compare with the target (sync) rather than transfer everything (copy). */
  readonly compare: boolean;
  readonly move: boolean;
  readonly options: BulkOptions & SyncCompareOptions;
}

const MAX_FAILED_KEYS = 1000;
/** Big objects waiting for their lane before the walk itself waits. */
const MAX_WAITING_BIG = 1000;
/** Bytes in flight of a job's own budget: with 8 MiB parts, 4 in flight, one big upload at a time (about 40 MiB of part buffers). */
const DEFAULT_JOB_BYTES = 64 * 1024 * 1024;
const sameSecond = (ms: number): number => Math.floor(ms / 1000);
const SINGLE_PART_ETAG = /^"?([0-9a-f]{32})"?$/i;

/** Where a place's key is, for humans: a local path, or `s3://bucket/key`. */
function where(place: Place, key: string): string {
  return place.kind === 'local' ? join(place.root, ...key.split('/')) : `s3://${place.bucket}/${place.prefix}${key}`;
}

/**
 * Runs a job: see {@link BulkEvent} for the emission contract. `timeouts`: the deadline bounds the whole job; each
 * request of each object gets the connect and idle timeouts.
 */
export function runJob(spec: JobSpec): Observable<Result<BulkEvent, S3Error>> {
  return withTimeouts(spec.options.timeouts, { operation: spec.operation }, runUntimed(spec));
}

function runUntimed(spec: JobSpec): Observable<Result<BulkEvent, S3Error>> {
  return new Observable<Result<BulkEvent, S3Error>>((subscriber) => {
    const controller = new AbortController();
    const signal = controller.signal;
    // Every object in flight listens to the job's signal.
    setMaxListeners(0, signal);
    const o = spec.options;
    const context: ErrorContext = { operation: spec.operation };
    const concurrency = o.concurrency ?? 32;
    const partSize = o.partSize ?? DEFAULT_PART_SIZE;
    const partConcurrency = o.partConcurrency ?? 4;
    const budget = o.budget ?? new Budget({ maxRequests: concurrency, bytesPerSecond: o.maxBandwidth, maxBytes: DEFAULT_JOB_BYTES });
    // An upload holds up to (parts in flight + 1) part buffers: bound the big ones by the byte budget.
    const maxBig = Math.max(1, Math.floor(budget.maxBytes / (partSize * (partConcurrency + 1))));
    const budgeted = (place: Place | undefined): Place | undefined =>
      place?.kind === 's3' ? { ...place, ctx: underBudget(place.ctx, budget) } : place;
    const source = budgeted(spec.source)!;
    const target = budgeted(spec.target);
    const filter = compileFilters(o.filters);
    const dryRun = o.dryRun === true;

    const startedAt = Date.now();
    const counts = { transferred: 0, deleted: 0, skipped: 0, failed: 0, planned: 0, bytes: 0, objectsTotal: 0, objectsDone: 0, bytesTotal: 0 };
    const failedKeys: string[] = [];
    let totalsFinal = false;
    let lastTick = 0;
    let stop: S3Error | undefined;

    const emit = (event: BulkEvent): void => {
      if (!subscriber.closed) subscriber.next(Ok(event));
    };
    const tick = (force = false): void => {
      const now = Date.now();
      if (!force && now - lastTick < (o.progressInterval ?? 250)) return;
      lastTick = now;
      const elapsedMs = now - startedAt;
      emit({
        kind: 'progress',
        objectsDone: counts.objectsDone,
        objectsTotal: counts.objectsTotal,
        bytesDone: counts.bytes,
        bytesTotal: counts.bytesTotal,
        totalsFinal,
        bytesPerSecond: elapsedMs > 0 ? (counts.bytes * 1000) / elapsedMs : 0,
        elapsedMs,
      });
    };
    const fail = (action: BulkAction, key: string, from: string, to: string, error: S3Error): void => {
      counts.failed += 1;
      if (failedKeys.length < MAX_FAILED_KEYS) failedKeys.push(key);
      emit({ kind: 'failed', action, key, source: from, target: to, error });
      if (o.failFast === true) stop ??= error;
    };

    // --- the per-object work -------------------------------------------------------------------------------
    const running = new Set<Promise<void>>();
    // Objects above the part size hold part buffers (uploads) or several ranged GETs (downloads): at most
    // `maxBig` run at once, in a lane of their own, so the small objects after them in key order go on.
    const waitingBig: Array<() => Promise<void>> = [];
    let bigRunning = 0;
    const start = (big: boolean, work: () => Promise<void>): void => {
      if (big) bigRunning += 1;
      const done = work().finally(() => {
        running.delete(done);
        if (big) {
          bigRunning -= 1;
          pumpBig();
        }
      });
      running.add(done);
    };
    const pumpBig = (): void => {
      while (waitingBig.length > 0 && bigRunning < maxBig && stop === undefined && !signal.aborted) start(true, waitingBig.shift()!);
    };
    const schedule = async (big: boolean, work: () => Promise<void>): Promise<void> => {
      while (big ? waitingBig.length >= MAX_WAITING_BIG : running.size >= concurrency) await Promise.race(running);
      if (stop !== undefined || signal.aborted) return;
      if (!big) return start(false, work);
      waitingBig.push(work);
      pumpBig();
    };

    const act = (action: BulkAction, key: string, size: number | undefined, reason: TransferReason, from: string, to: string, work: (onBytes: (n: number) => void) => Promise<void>): Promise<void> | undefined => {
      counts.objectsTotal += 1;
      counts.bytesTotal += size ?? 0;
      if (dryRun) {
        counts.planned += 1;
        emit({ kind: 'planned', action, key, source: from, target: to, size, reason });
        return undefined;
      }
      emit({ kind: 'started', action, key, source: from, target: to, size, reason });
      const began = Date.now();
      let moved = 0;
      const onBytes = (n: number): void => {
        moved += n;
        counts.bytes += n;
        tick();
      };
      return work(onBytes).then(
        () => {
          if (signal.aborted) return;
          if (size !== undefined && moved < size) onBytes(size - moved);
          counts.objectsDone += 1;
          if (action === 'delete') counts.deleted += 1;
          else counts.transferred += 1;
          emit({ kind: 'done', action, key, source: from, target: to, size, elapsedMs: Date.now() - began });
          tick();
        },
        (cause: unknown) => {
          if (signal.aborted) return;
          counts.objectsDone += 1;
          fail(action, key, from, to, isS3Error(cause) ? cause : toS3Error(cause, { operation: spec.operation, key: from }));
          tick();
        },
      );
    };

    // Keys come in order, so the files of one directory come together: its check is made once, by the first.
    let lastDirectory: { readonly dir: string; readonly ready: Promise<void> } | undefined;
    const directoryReady = (root: string, dir: string): Promise<void> => {
      if (lastDirectory?.dir !== dir) lastDirectory = { dir, ready: insideRoot(root, dir) };
      const ready = lastDirectory.ready;
      ready.catch(() => {
        if (lastDirectory?.ready === ready) lastDirectory = undefined; // a failure is not remembered
      });
      return ready;
    };

    /** The work of transferring one source entry to the target. */
    const transferWork = (entry: Entry, tgt: Place): ((onBytes: (n: number) => void) => Promise<void>) => {
      const key = entry.key;
      if (source.kind === 'local' && tgt.kind === 's3') {
        const path = entry.path!;
        return async (onBytes) => {
          await drain(
            uploadFile(tgt.ctx, tgt.bucket, tgt.prefix + key, path, { contentType: lookup(path) || undefined, partSize, concurrency: partConcurrency }),
            signal,
            progressBytes(onBytes),
          );
          if (spec.move) await unlink(path);
        };
      }
      if (source.kind === 's3' && tgt.kind === 'local') {
        const path = where(tgt, key);
        return async (onBytes) => {
          await directoryReady(tgt.root, dirname(path));
          const expect = { size: entry.size, etag: entry.etag };
          await drain(downloadFile(source.ctx, source.bucket, source.prefix + key, path, { partSize, concurrency: partConcurrency, expect }), signal, progressBytes(onBytes));
          await utimes(path, new Date(), new Date(entry.mtimeMs));
          if (spec.move) await drain(deleteObject(source.ctx, source.bucket, source.prefix + key), signal);
        };
      }
      if (source.kind === 's3' && tgt.kind === 's3') {
        const from = { bucket: source.bucket, key: source.prefix + key };
        const to = { bucket: tgt.bucket, key: tgt.prefix + key };
        if (spec.source.kind === 's3' && spec.target?.kind === 's3' && spec.source.ctx.client === spec.target.ctx.client) {
          return async () => {
            if (spec.move) await drain(moveOne(source.ctx, from, to), signal);
            else await drain(copyOne(source.ctx, from, to), signal);
          };
        }
        // Two clients (two endpoints or accounts): the bytes pass through this process, one request at a time
        // on each side, under two slots of the budget taken together (so two jobs cannot deadlock on it).
        const rawSource = spec.source as Extract<Place, { kind: 's3' }>;
        const rawTarget = spec.target as Extract<Place, { kind: 's3' }>;
        return async (onBytes) => {
          const release = await budget.acquire(Math.min(entry.size, partSize), signal, 2);
          try {
            const got = await drain(getObject(rawSource.ctx, from.bucket, from.key, { ifMatch: entry.etag }), signal);
            const body = got.body as Readable;
            try {
              await drain(
                uploadStream(rawTarget.ctx, to.bucket, to.key, body, { contentLength: got.contentLength, contentType: got.contentType, metadata: got.metadata, partSize, concurrency: 1 }),
                signal,
                progressBytes(onBytes),
              );
            } finally {
              body.destroy();
            }
          } finally {
            release();
          }
          if (spec.move) await drain(deleteObject(rawSource.ctx, from.bucket, from.key), signal);
        };
      }
      return () => Promise.reject(s3Error('InvalidInput', context, 'local to local transfers are not supported'));
    };

    // --- deletes, in batches -----------------------------------------------------------------------------------
    let batch: string[] = [];
    const flushDeletes = async (place: Place): Promise<void> => {
      const keys = batch;
      batch = [];
      if (keys.length === 0) return;
      if (place.kind === 'local') {
        await schedule(false, async () => {
          for (const key of keys) {
            const path = where(place, key);
            await act('delete', key, undefined, 'extra', path, path, () => unlink(path));
          }
        });
        return;
      }
      await schedule(false, async () => {
        const full = keys.map((k) => place.prefix + k);
        counts.objectsTotal += keys.length;
        const result = await drain(deleteObjects(place.ctx, place.bucket, full), signal).then(
          (b) => Ok(b),
          (cause: unknown) => Err(isS3Error(cause) ? cause : toS3Error(cause, { operation: spec.operation, bucket: place.bucket })),
        );
        if (signal.aborted) return;
        const refused = new Map(result.ok ? result.val.errors.map((e) => [e.key, e] as const) : []);
        for (const key of keys) {
          const url = where(place, key);
          counts.objectsDone += 1;
          const problem = result.err ? result.val : refused.get(place.prefix + key);
          if (problem === undefined) {
            counts.deleted += 1;
            emit({ kind: 'done', action: 'delete', key, source: url, target: url, size: undefined, elapsedMs: 0 });
          } else {
            const error = 'operation' in problem ? problem : s3Error(problem.kind, { operation: 'deleteObjects', bucket: place.bucket, key: place.prefix + key }, `could not delete ${url}: ${problem.message ?? problem.code ?? 'refused'}`, { code: problem.code });
            fail('delete', key, url, url, error);
          }
        }
        tick();
      });
    };
    const deleteOne = async (place: Place, key: string): Promise<void> => {
      if (dryRun) {
        act('delete', key, undefined, 'extra', where(place, key), where(place, key), () => Promise.resolve());
        return;
      }
      batch.push(key);
      if (batch.length >= (place.kind === 'local' ? 64 : DELETE_BATCH_SIZE)) await flushDeletes(place);
    };

    // --- the passes ------------------------------------------------------------------------------------------
    const entries = (place: Place, forTarget: boolean): AsyncIterable<Entry> =>
      place.kind === 's3' ? listRemote(place.ctx, place.bucket, place.prefix, signal, o.range) : walkOrEmpty(place.root, forTarget);
    const walkOrEmpty = async function* (root: string, forTarget: boolean): AsyncGenerator<Entry> {
      if (forTarget) {
        const exists = await stat(root).then((s) => s.isDirectory(), () => false);
        if (!exists) return;
      }
      yield* walkLocal(root, { followSymlinks: forTarget ? false : o.followSymlinks === true, range: o.range }, signal);
    };
    const deletable = (pair: Pair): boolean =>
      pair.source === undefined && pair.target !== undefined && pair.target.skip === undefined && pair.target.error === undefined && filter(pair.key);

    const mainPass = async (): Promise<number> => {
      let extras = 0;
      const guard = new CollisionGuard();
      const listTarget = target !== undefined && (spec.compare || o.delete === true);
      for await (const pair of mergeSorted(entries(source, false), listTarget ? entries(target, true) : undefined)) {
        if (subscriber.closed || stop !== undefined) return extras;
        if (target === undefined) {
          // deletePrefix
          if (filter(pair.key)) await deleteOne(source, pair.key);
          else skip(pair.key, where(source, pair.key), 'excluded', 'excluded by the filters');
          continue;
        }
        const entry = pair.source;
        if (entry === undefined) {
          if (o.delete === true && deletable(pair)) {
            extras += 1;
            if (dryRun) await deleteOne(target, pair.key);
          }
          continue;
        }
        const from = where(source, entry.key);
        if (entry.error !== undefined) {
          fail(source.kind === 'local' ? 'upload' : 'download', entry.key, from, where(target, entry.key), entry.error);
          continue;
        }
        if (entry.skip !== undefined) {
          skip(entry.key, from, entry.skip.reason, entry.skip.detail);
          continue;
        }
        if (!filter(entry.key)) {
          skip(entry.key, from, 'excluded', 'excluded by the filters');
          continue;
        }
        if (target.kind === 'local') {
          const unsafe = unsafeKey(entry.key);
          if (unsafe !== undefined) {
            skip(entry.key, from, unsafe.reason, unsafe.detail);
            continue;
          }
          const file = guard.check(entry.key);
          if (file !== undefined) {
            skip(entry.key, from, 'collision', `${file} is a file, so it cannot also be a directory`);
            continue;
          }
          guard.add(entry.key);
        }
        const reason = spec.compare ? await decide(entry, pair.target) : 'copy';
        if (reason === undefined) {
          skip(entry.key, from, 'unchanged', 'up to date at the target');
          continue;
        }
        const action: BulkAction = spec.move ? 'move' : source.kind === 'local' ? 'upload' : target.kind === 'local' ? 'download' : 'copy';
        const serverSide = source.kind === 's3' && target.kind === 's3' && spec.source.kind === 's3' && spec.target?.kind === 's3' && spec.source.ctx.client === spec.target.ctx.client;
        const big = entry.size > partSize && !serverSide;
        await schedule(big, () => act(action, entry.key, entry.size, reason, from, where(target, entry.key), transferWork(entry, target)) ?? Promise.resolve());
      }
      if (target === undefined) await flushDeletes(source);
      return extras;
    };

    /** Deletes the extras at the target: a second merge, run only when nothing failed. */
    const deletePass = async (tgt: Place): Promise<void> => {
      for await (const pair of mergeSorted(entries(source, false), entries(tgt, true))) {
        if (subscriber.closed || stop !== undefined) return;
        if (deletable(pair)) await deleteOne(tgt, pair.key);
      }
      await flushDeletes(tgt);
    };

    const skip = (key: string, from: string | undefined, reason: Extract<BulkEvent, { kind: 'skipped' }>['reason'], detail: string): void => {
      counts.skipped += 1;
      emit({ kind: 'skipped', key, source: from, reason, detail });
    };

    const decide = async (entry: Entry, existing: Entry | undefined): Promise<TransferReason | undefined> => {
      if (existing === undefined || existing.skip !== undefined || existing.error !== undefined) return 'missing';
      if (entry.size !== existing.size) return 'size';
      if (o.sizeOnly === true) return undefined;
      if (o.compareContent === true) {
        const same = await sameContent(entry, existing);
        if (same !== undefined) return same ? undefined : 'content';
      }
      if (o.exactTimestamps === true) return sameSecond(entry.mtimeMs) !== sameSecond(existing.mtimeMs) ? 'timestamp' : undefined;
      return sameSecond(entry.mtimeMs) > sameSecond(existing.mtimeMs) ? 'newer' : undefined;
    };

    const stopped = (): boolean => {
      if (stop === undefined || subscriber.closed) return subscriber.closed;
      // failFast: cancel what is in flight (its clean-up goes on in the background), then the one Err.
      controller.abort(stop);
      subscriber.next(Err(stop));
      subscriber.complete();
      return true;
    };
    const run = async (): Promise<void> => {
      const extras = await mainPass();
      totalsFinal = true;
      if (stopped()) return;
      while (running.size > 0) await Promise.race(running);
      if (stopped()) return;
      let deleteSkipped = false;
      if (stop === undefined && o.delete === true && target !== undefined && extras > 0 && !dryRun) {
        if (counts.failed > 0) deleteSkipped = true;
        else {
          totalsFinal = false;
          await deletePass(target);
          totalsFinal = true;
          while (running.size > 0) await Promise.race(running);
        }
      }
      if (stopped()) return;
      tick(true);
      emit({
        kind: 'summary',
        ok: counts.failed === 0,
        transferred: counts.transferred,
        deleted: counts.deleted,
        skipped: counts.skipped,
        failed: counts.failed,
        planned: counts.planned,
        bytes: counts.bytes,
        failedKeys,
        deleteSkipped,
        dryRun,
        elapsedMs: Date.now() - startedAt,
      });
      subscriber.complete();
    };
    run().catch((cause: unknown) => {
      if (subscriber.closed) return;
      controller.abort(cause);
      subscriber.next(Err(isS3Error(cause) ? cause : toS3Error(cause, context)));
      subscriber.complete();
    });
    return () => controller.abort();
  });
}

/** A transfer's progress ticks as byte deltas. */
function progressBytes(onBytes: (n: number) => void): (event: unknown) => void {
  let last = 0;
  return (event) => {
    const e = event as { kind?: string; transferredBytes?: number };
    if (e.kind === 'progress' && typeof e.transferredBytes === 'number' && e.transferredBytes > last) {
      onBytes(e.transferredBytes - last);
      last = e.transferredBytes;
    }
  };
}

/**
 * Subscribes to one operation's stream until it completes: resolves with its last `Ok` value, rejects with its
 * `Err`'s S3Error. Aborting `signal` unsubscribes (which cancels the operation) and rejects.
 */
export function drain<T>(source$: Observable<Result<T, S3Error>>, signal: AbortSignal, onValue?: (value: T) => void): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    let last: T | undefined;
    let seen = false;
    const onAbort = (): void => {
      subscription.unsubscribe();
      reject(signal.reason);
    };
    const subscription = source$.subscribe({
      next: (result) => {
        if (result.err) {
          signal.removeEventListener('abort', onAbort);
          reject(result.val);
          return;
        }
        seen = true;
        last = result.val;
        onValue?.(result.val);
      },
      error: (bug: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(bug);
      },
      complete: () => {
        signal.removeEventListener('abort', onAbort);
        if (seen) resolve(last as T);
        else resolve(undefined as T);
      },
    });
    if (!subscription.closed) signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Creates a download's directory, refusing one that leaves `root` (through a symlinked directory inside it). */
async function insideRoot(root: string, parent: string): Promise<void> {
  await mkdir(parent, { recursive: true });
  const [realRoot, realParent] = await Promise.all([realpath(root), realpath(parent)]);
  if (realParent !== realRoot && !realParent.startsWith(realRoot + sep)) {
    throw s3Error('LocalFile', { operation: 'download', key: parent }, `${parent} would be written outside ${root} (through a symbolic link)`);
  }
}

/** True/false when both sides have a comparable content digest (single-part ETag, or a local file's MD5). */
async function sameContent(a: Entry, b: Entry): Promise<boolean | undefined> {
  const digest = async (entry: Entry): Promise<string | undefined> => {
    if (entry.etag !== undefined) return SINGLE_PART_ETAG.exec(entry.etag)?.[1]?.toLowerCase();
    if (entry.path === undefined) return undefined;
    const hash = createHash('md5');
    for await (const chunk of createReadStream(entry.path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  };
  const remote = a.etag !== undefined ? a : b;
  if (remote.etag === undefined || !SINGLE_PART_ETAG.test(remote.etag)) return undefined;
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  return x === undefined || y === undefined ? undefined : x === y;
}
