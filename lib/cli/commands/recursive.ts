/**
 * The many-object commands, on the library's bulk engine: `cp -r` and `mv -r` (directory to S3, S3 to
 * directory, S3 to S3), `sync` and `rm -r`.
 */
import { concatMap, map, of, type Observable } from 'rxjs';
import { Err, Ok, type BulkEvent, type BulkOptions, type Filter, type Result, type S3Error, type SyncPlace } from '../../index';
import { UsageError, type OptionSpec, type Options } from '../args';
import { DRY_RUN, type Command, type CommandContext } from '../command';
import type { CliEvent, CliStream } from '../events';
import { parseLocation, type Location } from '../location';
import { relativeRange, SHARD_OPTIONS, shardOption, shardRange } from '../shard';
import { directoryPrefix } from '../streams';

/** The options of every bulk command. */
export const BULK_OPTIONS: readonly OptionSpec[] = [
  { name: 'exclude', value: 'GLOB', description: 'Leave out keys matching GLOB (* matches across /); repeatable; later filters win.' },
  { name: 'include', value: 'GLOB', description: 'Take back keys matching GLOB after an --exclude; repeatable; later filters win.' },
  { name: 'max-bandwidth', value: 'SIZE', description: 'Cap the transfer rate, bytes per second (8MiB = 8 MiB/s).' },
  { name: 'follow-symlinks', description: 'Upload what symbolic links point to (default: skip links).' },
  ...SHARD_OPTIONS,
];

/** `cp -r` / `mv -r` options beyond cp's own. */
export const RECURSIVE_OPTIONS: readonly OptionSpec[] = [
  { name: 'recursive', short: 'r', description: 'Copy every file of a directory, or every object under a prefix.' },
  ...BULK_OPTIONS,
];

/** A bulk job's events as CLI events: a failed object is an `Err` (so the exit code is 1), the rest pass through. */
function cliEvents(job$: ReturnType<CommandContext['rx']['sync']>): CliStream {
  return job$.pipe(
    map((result): Result<CliEvent, S3Error> => {
      if (result.err) return result;
      const event: BulkEvent = result.val;
      if (event.kind === 'failed') return Err({ ...event.error, message: `${event.action} ${event.source}: ${event.error.message}` });
      return Ok({ kind: 'bulk', event });
    }),
  );
}

/** The filters, in command-line order. */
function filters(options: Options): Filter[] {
  return options.occurrences(['exclude', 'include']).map(([name, glob]) => (name === 'exclude' ? { exclude: glob } : { include: glob }));
}

function bulkOptions(ctx: CommandContext): BulkOptions {
  const { options } = ctx;
  return {
    concurrency: options.integer('concurrency', 1, 4096),
    maxBandwidth: options.size('max-bandwidth'),
    partSize: options.size('part-size'),
    filters: filters(options),
    followSymlinks: options.flag('follow-symlinks'),
    dryRun: ctx.dryRun,
  };
}

function place(location: Location, command: string): SyncPlace {
  if (location.kind === 'stdio') throw new UsageError(`${command} cannot read stdin or write stdout`, command);
  if (location.kind === 'local') return location.path;
  if (location.bucket === '') throw new UsageError('no bucket in an s3:// operand', command);
  return { bucket: location.bucket, prefix: location.key };
}

function places(ctx: CommandContext, command: string): [SyncPlace, SyncPlace] {
  const [from, to] = ctx.operands.map((operand) => place(parseLocation(operand), command)) as [SyncPlace, SyncPlace];
  if (typeof from === 'string' && typeof to === 'string') throw new UsageError(`${command} needs an s3:// source or target (local to local is not supported)`, command);
  return [from, to];
}

/**
 * With `--shard I/N`, the job over the I-th key range only: cut from the S3 side (the source, else the target)
 * under its prefix, and passed to the engine relative to it; without, the job over every key.
 */
function sharded(ctx: CommandContext, command: string, s3: Exclude<SyncPlace, string>, job: (options: BulkOptions) => ReturnType<CommandContext['rx']['sync']>): CliStream {
  const shard = shardOption(ctx.options, command);
  const options = bulkOptions(ctx);
  if (shard === undefined) return cliEvents(job(options));
  const prefix = directoryPrefix(s3.prefix ?? '');
  const range$: Observable<Result<BulkOptions, S3Error>> = shardRange(ctx.rx, s3.bucket, prefix, shard).pipe(
    map((range) => range.map((r) => ({ ...options, range: relativeRange(r, prefix) }))),
  );
  return range$.pipe(concatMap((withRange) => (withRange.err ? of(withRange) : cliEvents(job(withRange.val)))));
}

/** The S3 side a shard is cut from: the source, else the target. */
function s3Side(from: SyncPlace, to: SyncPlace): Exclude<SyncPlace, string> {
  return typeof from === 'string' ? (to as Exclude<SyncPlace, string>) : from;
}

/** `cp -r` and `mv -r`. */
export function recursiveTransfer(ctx: CommandContext, move: boolean): CliStream {
  const name = move ? 'mv' : 'cp';
  const [from, to] = places(ctx, name);
  return sharded(ctx, name, s3Side(from, to), (options) => {
    if (move) return ctx.rx.movePrefix(from, to, options);
    if (typeof from === 'string') return ctx.rx.uploadDirectory(from, (to as Exclude<SyncPlace, string>).bucket, (to as Exclude<SyncPlace, string>).prefix, options);
    if (typeof to === 'string') return ctx.rx.downloadPrefix(from.bucket, from.prefix, to, options);
    return ctx.rx.copyPrefix(from, to, options);
  });
}

/** `rm -r`: everything under a prefix the filters include (with `--shard`, in one key range). */
export function recursiveDelete(ctx: CommandContext, bucket: string, key: string): CliStream {
  return sharded(ctx, 'rm', { bucket, prefix: key }, (options) => ctx.rx.deletePrefix(bucket, key, options));
}

/** `rx-s3 sync <source> <target>`. */
export const sync: Command = {
  spec: {
    name: 'sync',
    summary: 'Make a directory or prefix like another: copy what is missing, changed or newer',
    usage: ['sync <dir> s3://bucket[/prefix]', 'sync s3://bucket[/prefix] <dir>', 'sync s3://bucket[/prefix] s3://bucket[/prefix]'],
    details: [
      'A file or object is copied when it is missing at the target, its size differs, or the source is newer; --size-only ' +
        'compares sizes only, --exact-timestamps copies when the times differ at all. Downloads take the object\'s ' +
        'LastModified as the file\'s mtime, so a second sync copies nothing. With --delete, what exists only at the target ' +
        'is deleted afterwards, and not at all if anything failed. Filters apply in order; the last that matches a key decides. ' +
        'Both sides are read in key order and merged, page by page: memory stays flat for millions of keys.',
    ],
    operands: { min: 2, max: 2 },
    options: [
      { name: 'delete', description: 'Delete files or objects that exist only at the target (skipped if anything failed).' },
      { name: 'size-only', description: 'Copy only when sizes differ.' },
      { name: 'exact-timestamps', description: 'Copy when timestamps differ at all (not only when the source is newer).' },
      { name: 'content', description: 'Compare contents where a single-part ETag (MD5) allows it.' },
      DRY_RUN,
      { name: 'concurrency', value: 'N', description: 'Files or objects in flight at once (default 32).' },
      { name: 'part-size', value: 'SIZE', description: 'Part size of big files (default 8MiB).' },
      ...BULK_OPTIONS,
    ],
  },
  run(ctx) {
    const [from, to] = places(ctx, 'sync');
    const { options } = ctx;
    return sharded(ctx, 'sync', s3Side(from, to), (bulk) =>
      ctx.rx.sync({
        from,
        to,
        ...bulk,
        delete: options.flag('delete'),
        sizeOnly: options.flag('size-only'),
        exactTimestamps: options.flag('exact-timestamps'),
        compareContent: options.flag('content'),
      }),
    );
  },
};
