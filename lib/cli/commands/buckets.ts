import { concat, defer, EMPTY, map, of, tap } from 'rxjs';
import { Ok, type Result, type S3Error } from '../../index';
import { UsageError } from '../args';
import { DRY_RUN, type Command } from '../command';
import type { CliEvent, CliStream } from '../events';
import { s3Operand } from '../location';
import { deleteUnder } from '../streams';

function bucketOnly(operand: string, command: string): string {
  const { bucket, key } = s3Operand(operand, command, false);
  if (key !== '') throw new UsageError(`${command} takes a bucket (s3://bucket), not an object`, command);
  return bucket;
}

/** `rx-s3 mb s3://bucket`. */
export const mb: Command = {
  spec: {
    name: 'mb',
    summary: 'Create a bucket',
    usage: ['mb s3://bucket'],
    details: ['The bucket is created in --region (or AWS_REGION) when that is not us-east-1.'],
    operands: { min: 1, max: 1 },
    options: [DRY_RUN],
  },
  run(ctx) {
    const bucket = bucketOnly(ctx.operands[0] ?? '', 'mb');
    if (ctx.dryRun) return of(Ok<CliEvent>({ kind: 'dryrun', action: 'make_bucket', source: undefined, target: bucket }));
    return ctx.rx.createBucket(bucket, { region: ctx.region }).pipe(
      map((result): Result<CliEvent, S3Error> => result.map((): CliEvent => ({ kind: 'complete', action: 'make_bucket', source: undefined, target: bucket }))),
    );
  },
};

/** `rx-s3 rb [--force] s3://bucket`. */
export const rb: Command = {
  spec: {
    name: 'rb',
    summary: 'Delete a bucket (--force empties it first)',
    usage: ['rb s3://bucket [--force]'],
    details: ['Without --force, a bucket that still holds objects is not deleted (BucketNotEmpty). With --force, every object is deleted first, page by page; if any of them cannot be, the bucket is kept.'],
    operands: { min: 1, max: 1 },
    options: [{ name: 'force', description: 'Delete every object in the bucket first.' }, DRY_RUN],
  },
  run(ctx) {
    const bucket = bucketOnly(ctx.operands[0] ?? '', 'rb');
    const force = ctx.options.flag('force');
    const removed: CliEvent = { kind: ctx.dryRun ? 'dryrun' : 'complete', action: 'remove_bucket', source: undefined, target: bucket };
    const empty$: CliStream = force ? deleteUnder(ctx.rx, bucket, '', ctx.dryRun) : EMPTY;
    if (ctx.dryRun) return concat(empty$, of(Ok(removed)));
    return defer(() => {
      let failed = false;
      return concat(
        empty$.pipe(tap((result) => (failed ||= result.err))),
        defer(() =>
          failed ? EMPTY : ctx.rx.deleteBucket(bucket).pipe(map((result): Result<CliEvent, S3Error> => result.map((): CliEvent => removed))),
        ),
      );
    });
  },
};
