import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BulkEvent } from '../bulk-events';
import type { ClientContext } from '../internal/context';
import type { BulkOptions } from '../internal/bulk/job';
import { bulkJob, type SyncPlace } from './sync';

/**
 * Copies every object under a prefix to another prefix (same or another bucket): server-side with CopyObject
 * through one client, or streamed through this process between two clients. Emits {@link BulkEvent}s, then one
 * summary; then completes.
 */
export function copyPrefix(ctx: ClientContext, from: Exclude<SyncPlace, string>, to: Exclude<SyncPlace, string>, options: BulkOptions = {}): Observable<Result<BulkEvent, S3Error>> {
  return bulkJob(ctx, 'copyPrefix', from, to, { compare: false, move: false }, options);
}
