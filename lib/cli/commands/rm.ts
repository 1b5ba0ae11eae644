import { map, of } from 'rxjs';
import { Ok, type Result, type S3Error } from '../../index';
import { DRY_RUN, type Command } from '../command';
import type { CliEvent } from '../events';
import { s3Operand, s3Url } from '../location';
import { BULK_OPTIONS, recursiveDelete } from './recursive';
import { UsageError } from '../args';
import { SHARD_OPTIONS, shardOption } from '../shard';

/** `rx-s3 rm s3://bucket/key` and `rx-s3 rm --recursive s3://bucket[/prefix]`. */
export const rm: Command = {
  spec: {
    name: 'rm',
    summary: 'Delete an object, or every object under a prefix',
    usage: ['rm s3://bucket/key', 'rm --recursive s3://bucket[/prefix] [--shard I/N [--shard-sample FILE]]'],
    details: [
      'With --recursive, the prefix is taken as a directory (s3://b/logs deletes logs/..., not logs-old/...); without a prefix, ' +
        'the whole bucket is emptied. Keys are listed page by page and each page is deleted with one DeleteObjects request. ' +
        'As in S3, deleting a key that does not exist succeeds.',
      'With --shard I/N, deletes only the I-th of N key ranges, so N processes delete every key once between them (see ' +
        'rx-s3 ls --help). They must cut the same ranges: pass each the same --shard-sample FILE (made before any of them ' +
        'starts deleting, with rx-s3 ls --sample), since sampling a prefix that other shards are emptying cuts differently.',
    ],
    operands: { min: 1, max: 1 },
    options: [{ name: 'recursive', short: 'r', description: 'Delete every object under the prefix.' }, DRY_RUN, ...BULK_OPTIONS.slice(0, 2), ...SHARD_OPTIONS],
  },
  run(ctx) {
    const recursive = ctx.options.flag('recursive');
    const { bucket, key } = s3Operand(ctx.operands[0] ?? '', 'rm', !recursive);
    const shard = shardOption(ctx.options, 'rm');
    if (shard !== undefined && !recursive) throw new UsageError('--shard needs --recursive', 'rm');
    if (recursive) return recursiveDelete(ctx, bucket, key);
    const target = s3Url(bucket, key);
    if (ctx.dryRun) return of(Ok<CliEvent>({ kind: 'dryrun', action: 'delete', source: undefined, target }));
    return ctx.rx.deleteObject(bucket, key).pipe(
      map((result): Result<CliEvent, S3Error> => result.map((): CliEvent => ({ kind: 'complete', action: 'delete', source: undefined, target }))),
    );
  },
};
