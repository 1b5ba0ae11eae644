import { ListBucketsCommand } from '@aws-sdk/client-s3';
import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BucketList } from '../events';
import type { ClientContext } from '../internal/context';
import { fromRequest, unlessInvalid } from '../internal/from-command';
import { checkTimeouts, type CallOptions } from '../internal/timeouts';

/** Lists the buckets these credentials own. Emits one `Ok(BucketList)` or one `Err`, then completes. */
export function listBuckets(ctx: ClientContext, options: CallOptions = {}): Observable<Result<BucketList, S3Error>> {
  const context = { operation: 'listBuckets' };
  return unlessInvalid(checkTimeouts(options.timeouts, context), () => fromRequest(context, async (abortSignal) => {
    const raw = await ctx.client.send(new ListBucketsCommand({}), { abortSignal });
    const buckets = (raw.Buckets ?? []).map((b) => ({ name: b.Name ?? '', creationDate: b.CreationDate }));
    return { buckets, raw };
  }, undefined, options.timeouts));
}
