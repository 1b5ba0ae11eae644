import { map } from 'rxjs';
import type { Result, S3Error } from '../../index';
import type { Command } from '../command';
import type { CliEvent } from '../events';
import { s3Operand } from '../location';

/** `rx-s3 stat s3://bucket/key` (HeadObject) or `rx-s3 stat s3://bucket` (HeadBucket). */
export const stat: Command = {
  spec: {
    name: 'stat',
    summary: "Show an object's size, ETag, type, last modified and metadata (or a bucket's region)",
    usage: ['stat s3://bucket/key', 'stat s3://bucket'],
    operands: { min: 1, max: 1 },
    options: [],
  },
  run(ctx) {
    const { bucket, key } = s3Operand(ctx.operands[0] ?? '', 'stat', false);
    if (key === '') {
      return ctx.rx.getBucketMetadata(bucket).pipe(
        map((result): Result<CliEvent, S3Error> => result.map((meta): CliEvent => ({ kind: 'bucket-metadata', bucket, region: meta.region }))),
      );
    }
    return ctx.rx.getObjectMetadata(bucket, key).pipe(
      map((result): Result<CliEvent, S3Error> =>
        result.map((meta): CliEvent => ({
          kind: 'object',
          bucket,
          key,
          size: meta.contentLength,
          etag: meta.etag,
          contentType: meta.contentType,
          lastModified: meta.lastModified,
          versionId: meta.versionId,
          metadata: meta.metadata,
        })),
      ),
    );
  },
};
