import type { Observable } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error } from '../errors';
import type { BulkEvent } from '../bulk-events';
import type { ClientContext } from '../internal/context';
import type { BulkOptions } from '../internal/bulk/job';
import { bulkJob } from './sync';

/**
 * Uploads every file under a local directory to a bucket prefix: the key is the prefix plus the file's path
 * relative to the directory, with `/`. Each file goes as one PutObject, or as a multipart upload above
 * `partSize`, with a Content-Type from its extension. Symlinks are skipped unless `followSymlinks`; sockets, FIFOs
 * and devices are skipped; an unreadable file or directory is a `failed` event. Emits {@link BulkEvent}s, then
 * one summary; then completes.
 */
export function uploadDirectory(ctx: ClientContext, directory: string, bucket: string, prefix: string | undefined, options: BulkOptions = {}): Observable<Result<BulkEvent, S3Error>> {
  return bulkJob(ctx, 'uploadDirectory', directory, { bucket, prefix }, { compare: false, move: false }, options);
}
