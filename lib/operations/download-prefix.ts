import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BulkEvent } from '../bulk-events';
import type { ClientContext } from '../internal/context';
import type { BulkOptions } from '../internal/bulk/job';
import { bulkJob } from './sync';

/**
 * Downloads every object under a prefix into a local directory (created if needed), each atomically through
 * `downloadFile`, with the object's LastModified as the file's mtime. Never writes outside the directory: keys
 * with `..` or `.` segments, empty segments, a leading `/` or backslashes are skipped (`unsafe-key`), and so is
 * a key under a key that is a file (`collision`: `a` then `a/b`). Emits {@link BulkEvent}s, then one summary;
 * then completes.
 */
export function downloadPrefix(ctx: ClientContext, bucket: string, prefix: string | undefined, directory: string, options: BulkOptions = {}): Observable<Result<BulkEvent, S3Error>> {
  return bulkJob(ctx, 'downloadPrefix', { bucket, prefix }, directory, { compare: false, move: false }, options);
}
