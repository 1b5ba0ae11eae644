import { HeadBucketCommand, HeadObjectCommand, type HeadObjectCommandInput, type HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { toS3Error, type ErrorContext } from '../errors';
import type { ClientContext } from './context';

/**
 * HeadObject, with a missing bucket told apart from a missing key. A HEAD answer has no body, so both arrive as
 * a bare 404; on that failure path only, one HeadBucket decides: a 404 there rejects with `NoSuchBucket`, anything
 * else with the HeadObject's own failure (`NoSuchKey`). The success path costs one request, as before.
 */
export async function headObject(ctx: ClientContext, context: ErrorContext, input: HeadObjectCommandInput, signal: AbortSignal): Promise<HeadObjectCommandOutput> {
  try {
    return await ctx.data.send(new HeadObjectCommand(input), { abortSignal: signal });
  } catch (cause) {
    if (statusOf(cause) !== 404 || input.Bucket === undefined || signal.aborted) throw cause;
    const bucketMissing = await ctx.client.send(new HeadBucketCommand({ Bucket: input.Bucket }), { abortSignal: signal }).then(
      () => undefined,
      (bucketCause: unknown) => (statusOf(bucketCause) === 404 ? bucketCause : undefined),
    );
    if (bucketMissing === undefined) throw cause;
    throw { ...toS3Error(bucketMissing, { operation: context.operation, bucket: input.Bucket }), key: input.Key };
  }
}

function statusOf(cause: unknown): number | undefined {
  const status = (cause as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}
