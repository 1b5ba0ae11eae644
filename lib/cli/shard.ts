/**
 * `--shard I/N` and `--shard-sample FILE`, for any command that walks the keys under a prefix (`ls -r`, `rm -r`,
 * and the bulk commands): the command takes only the I-th of N key ranges, so N processes (or machines) started
 * with `0/N` ... `N-1/N` together cover every key exactly once.
 */
import { readFile } from 'node:fs/promises';
import { map, of, type Observable } from 'rxjs';
import { compareKeys, cutKeyRanges, Err, Ok, parseShard, type KeyRange, type Result, type RxS3, type S3Error } from '../index';
import { UsageError, type OptionSpec, type Options } from './args';
import { fromPromise } from './streams';

/** The options to add to a command's table. */
export const SHARD_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'shard',
    value: 'I/N',
    description: 'Take only the I-th of N key ranges (0-based), so N processes run with 0/N ... N-1/N cover every key exactly once.',
  },
  {
    name: 'shard-sample',
    value: 'FILE',
    description: 'Cut the ranges from this sample (one JSON string per line, e.g. from `ls --sample`) instead of sampling now.',
  },
];

/** The shard the command line asks for, checked: `undefined` without `--shard`. Throws `UsageError`. */
export function shardOption(options: Options, command: string): { readonly index: number; readonly count: number; readonly sampleFile: string | undefined } | undefined {
  const text = options.string('shard');
  const sampleFile = options.string('shard-sample');
  if (text === undefined) {
    if (sampleFile !== undefined) throw new UsageError('--shard-sample needs --shard I/N', command);
    return undefined;
  }
  const shard = parseShard(text);
  if (shard === undefined) throw new UsageError(`--shard must be I/N with 0 <= I < N <= 10000 (e.g. 0/4); got '${text}'`, command);
  return { ...shard, sampleFile };
}

/**
 * The key range of a shard under `prefix`: cut from `--shard-sample`'s points, else from `rx.sampleKeySpace`
 * (the same requests in every process, so processes that sample an unchanged bucket cut alike). Without a shard,
 * `{}` (every key). One `Ok(range)` or one `Err`.
 *
 * Sampling reads the bucket as it is: when the keys change while the N processes start (e.g. `rm -r` in other
 * shards already deleting), make the sample once (`ls --sample`) and pass it to every process.
 */
export function shardRange(rx: RxS3, bucket: string, prefix: string, shard: ReturnType<typeof shardOption>): Observable<Result<KeyRange, S3Error>> {
  if (shard === undefined) return of(Ok({}));
  const pick = (points: readonly string[]): KeyRange => cutKeyRanges(points, shard.count)[shard.index]!;
  const file = shard.sampleFile;
  if (file !== undefined) {
    return fromPromise({ operation: 'readShardSample', key: file }, async () => parseSample(await readFile(file, 'utf8'), file)).pipe(
      map((points) => points.map(pick)),
    );
  }
  return rx.sampleKeySpace(bucket, { prefix: prefix === '' ? undefined : prefix }).pipe(
    map((sample) => (sample.ok ? Ok(pick(sample.val.points)) : Err(sample.val))),
  );
}

/**
 * The same range over the keys relative to `prefix` (what the bulk engine's `range` takes): bounds under the
 * prefix lose it, a bound before or after every key under it falls away or empties the range.
 */
export function relativeRange(range: KeyRange, prefix: string): KeyRange {
  const empty: KeyRange = { endBefore: '\u0000' };
  let startAfter: string | undefined;
  let endBefore: string | undefined;
  if (range.startAfter !== undefined) {
    if (range.startAfter.startsWith(prefix)) startAfter = range.startAfter.slice(prefix.length);
    else if (compareKeys(range.startAfter, prefix) > 0) return empty;
  }
  if (range.endBefore !== undefined) {
    if (range.endBefore.startsWith(prefix)) endBefore = range.endBefore.slice(prefix.length);
    else if (compareKeys(range.endBefore, prefix) < 0) return empty;
  }
  return { ...(startAfter === undefined ? {} : { startAfter }), ...(endBefore === undefined ? {} : { endBefore }) };
}

/** One JSON string per line (blank lines skipped). */
function parseSample(text: string, file: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string') throw Object.assign(new Error(`line ${i + 1}: expected a JSON string per line`), { code: 'EINVAL', path: file });
    return value;
  });
}
