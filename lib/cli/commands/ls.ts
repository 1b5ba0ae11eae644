import { concat, concatMap, from, map, of } from 'rxjs';
import { Ok, type Result, type S3Error } from '../../index';
import { UsageError } from '../args';
import type { Command } from '../command';
import type { CliEvent, CliStream } from '../events';
import { parseLocation, s3Operand } from '../location';
import { SHARD_OPTIONS, shardOption, shardRange } from '../shard';

/** `rx-s3 ls [s3://bucket[/prefix]]`: buckets, or a bucket's objects page by page as they arrive. */
export const ls: Command = {
  spec: {
    name: 'ls',
    summary: 'List buckets, or the objects and "directories" under a prefix',
    usage: [
      'ls',
      'ls s3://bucket[/prefix] [--recursive] [--page-size N] [--human-readable] [--print-resume] [--resume TOKEN]',
      'ls --recursive --shard I/N [--shard-sample FILE] s3://bucket[/prefix]',
      'ls --sample s3://bucket[/prefix]',
    ],
    details: [
      'Without an argument, lists your buckets. With s3://bucket[/prefix], lists what is under the prefix like aws s3 ls: ' +
        'sub-"directories" as "PRE dir/" lines and objects as "date time size name" lines, named relative to the prefix; ' +
        'with --recursive, every key below it, in full. Pages are printed as they arrive.',
      'Every page has a resume token (in --json pages as "resumeToken"; with --print-resume as a "#resume TOKEN" line after ' +
        'the page): --resume TOKEN, with the same bucket, prefix and --recursive, lists exactly what follows that page. ' +
        'Tokens hold the last key listed, so they do not expire.',
      '--shard I/N (with --recursive) lists only the I-th of N key ranges (0-based): N processes run with 0/N ... N-1/N ' +
        'list every key exactly once. The ranges are cut from a sample of the keys, taken by each process with the same ' +
        'few requests; --sample prints such a sample (one JSON string per line) and --shard-sample FILE uses it instead, ' +
        'so every process cuts alike even if the bucket changes meanwhile.',
    ],
    operands: { min: 0, max: 1 },
    options: [
      { name: 'recursive', short: 'r', description: 'List every key under the prefix, not just one level.' },
      { name: 'page-size', value: 'N', description: 'Keys per request, 1 to 1000 (default 1000).' },
      { name: 'human-readable', description: 'Sizes in KiB, MiB, GiB.' },
      { name: 'print-resume', description: 'After each page, print "#resume TOKEN": the token that continues after it.' },
      { name: 'resume', value: 'TOKEN', description: 'Continue a listing right after the page this token came from.' },
      { name: 'sample', description: 'Print a sample of the keys (for --shard-sample) instead of listing them.' },
      ...SHARD_OPTIONS,
    ],
  },
  run(ctx) {
    const operand = ctx.operands[0];
    const pageSize = ctx.options.integer('page-size', 1, 1000);
    const location = operand === undefined ? undefined : parseLocation(operand);
    if (location === undefined || (location.kind === 's3' && location.bucket === '')) {
      return ctx.rx.listBuckets().pipe(
        concatMap((result): CliStream => {
          if (result.err) return of(result);
          return from(result.val.buckets.map((b): Result<CliEvent, S3Error> => Ok({ kind: 'bucket', name: b.name, creationDate: b.creationDate })));
        }),
      );
    }
    const { bucket, key: prefix } = s3Operand(operand ?? '', 'ls', false);
    const recursive = ctx.options.flag('recursive');
    const delimiter = recursive ? undefined : '/';
    const shard = shardOption(ctx.options, 'ls');
    if (shard !== undefined && !recursive) throw new UsageError('--shard needs --recursive (a "directory" can straddle two shards)', 'ls');
    if (ctx.options.flag('sample')) {
      return ctx.rx.sampleKeySpace(bucket, { prefix: prefix === '' ? undefined : prefix }).pipe(
        map((result): Result<CliEvent, S3Error> => result.map((s) => ({ kind: 'sample', points: s.points, complete: s.complete }))),
      );
    }
    const resume = ctx.options.string('resume');
    const printResume = ctx.options.flag('print-resume');
    return shardRange(ctx.rx, bucket, prefix, shard).pipe(
      concatMap((range): CliStream => {
        if (range.err) return of(range);
        return ctx.rx.listObjects(bucket, { prefix: prefix === '' ? undefined : prefix, delimiter, pageSize, resume, ...range.val }).pipe(
          concatMap((result): CliStream => {
            if (result.err) return of(result);
            const page = result.val;
            const event: CliEvent = {
              kind: 'page',
              bucket,
              prefix,
              delimiter,
              pageNumber: page.pageNumber,
              isLast: page.isLast,
              prefixes: page.commonPrefixes,
              objects: page.objects,
              resumeToken: page.resumeToken,
            };
            return printResume ? concat(of(Ok(event)), of(Ok<CliEvent>({ kind: 'resume', token: page.resumeToken }))) : of(Ok(event));
          }),
        );
      }),
    );
  },
};
