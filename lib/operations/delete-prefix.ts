import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BulkEvent } from '../bulk-events';
import type { ClientContext } from '../internal/context';
import type { BulkOptions } from '../internal/bulk/job';
import { bulkJob } from './sync';

/**
 * Deletes every object under a prefix (a folder: `logs` means `logs/...`; none empties the bucket) that the
 * filters include, as the listing arrives, 1,000 keys per DeleteObjects request. Emits a `done` (or `failed`) per
 * key, progress ticks, then one summary; then completes. With `dryRun`, `planned` events and nothing deleted.
 */
export function deletePrefix(ctx: ClientContext, bucket: string, prefix: string | undefined, options: BulkOptions = {}): Observable<Result<BulkEvent, S3Error>> {
  return bulkJob(ctx, 'deletePrefix', { bucket, prefix }, undefined, { compare: false, move: false }, options);
}
