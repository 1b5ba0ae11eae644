import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { s3Error, toS3Error, type ErrorContext } from '../errors';
import type { ClientContext } from './context';
import type { SseCustomerFields } from './sse';

/**
 * For a write with `ifNoneMatch: '*'`: rejects with `PreconditionFailed` when the key already exists. The write
 * itself also carries `If-None-Match: *`, which AWS S3 enforces atomically; this HeadObject first makes the rule
 * hold on servers that ignore the header (Ceph RGW 16, the embedded server), where it is a check-then-write, not
 * atomic. Without `ifNoneMatch` it does nothing.
 */
export async function ensureAbsent(
  ctx: ClientContext,
  target: { readonly bucket: string; readonly key: string; readonly ifNoneMatch: string | undefined; readonly sseCustomer?: SseCustomerFields },
  context: ErrorContext,
  signal: AbortSignal,
): Promise<void> {
  if (target.ifNoneMatch !== '*') return;
  try {
    await ctx.data.send(new HeadObjectCommand({ ...target.sseCustomer, Bucket: target.bucket, Key: target.key }), { abortSignal: signal });
  } catch (cause) {
    if (toS3Error(cause, context).kind === 'NoSuchKey') return;
    throw cause;
  }
  throw s3Error('PreconditionFailed', context, `s3://${target.bucket}/${target.key} exists, and ifNoneMatch: '*' writes only a key that does not`, { code: 'PreconditionFailed' });
}
