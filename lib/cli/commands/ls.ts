import { concatMap, from, map, of } from 'rxjs';
import { Ok, type Result, type S3Error } from '../../index';
import type { Command } from '../command';
import type { CliEvent, CliStream } from '../events';
import { parseLocation, s3Operand } from '../location';

/** `rx-s3 ls [s3://bucket[/prefix]]`: buckets, or a bucket's objects page by page as they arrive. */
export const ls: Command = {
  spec: {
    name: 'ls',
    summary: 'List buckets, or the objects and "directories" under a prefix',
    usage: ['ls', 'ls s3://bucket[/prefix] [--recursive] [--page-size N] [--human-readable]'],
    details: [
      'Without an argument, lists your buckets. With s3://bucket[/prefix], lists what is under the prefix like aws s3 ls: ' +
        'sub-"directories" as "PRE dir/" lines and objects as "date time size name" lines, named relative to the prefix; ' +
        'with --recursive, every key below it, in full. Pages are printed as they arrive.',
    ],
    operands: { min: 0, max: 1 },
    options: [
      { name: 'recursive', short: 'r', description: 'List every key under the prefix, not just one level.' },
      { name: 'page-size', value: 'N', description: 'Keys per request, 1 to 1000 (default 1000).' },
      { name: 'human-readable', description: 'Sizes in KiB, MiB, GiB.' },
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
    const delimiter = ctx.options.flag('recursive') ? undefined : '/';
    return ctx.rx.listObjects(bucket, { prefix: prefix === '' ? undefined : prefix, delimiter, pageSize }).pipe(
      map((result): Result<CliEvent, S3Error> =>
        result.map((page) => ({
          kind: 'page',
          bucket,
          prefix,
          delimiter,
          pageNumber: page.pageNumber,
          isLast: page.isLast,
          prefixes: page.commonPrefixes,
          objects: page.objects,
        })),
      ),
    );
  },
};
