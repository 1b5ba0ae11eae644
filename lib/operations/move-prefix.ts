import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BulkEvent } from '../bulk-events';
import type { ClientContext } from '../internal/context';
import type { BulkOptions } from '../internal/bulk/job';
import { bulkJob, type SyncPlace } from './sync';

/**
 * Moves every file or object from one place to another (local to S3, S3 to local, S3 to S3): each source is
 * deleted only after its copy is complete (S3 to S3 through `moveObject`, which verifies size and ETag first).
 * Emits {@link BulkEvent}s (action `move`), then one summary; then completes.
 */
export function movePrefix(ctx: ClientContext, from: SyncPlace, to: SyncPlace, options: BulkOptions = {}): Observable<Result<BulkEvent, S3Error>> {
  return bulkJob(ctx, 'movePrefix', from, to, { compare: false, move: true }, options);
}
