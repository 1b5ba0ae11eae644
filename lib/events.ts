/**
 * The values rx-s3 operations emit inside `Ok(...)`. Every value also carries the SDK's own output as `raw`,
 * typed, for the fields rx-s3 does not lift out.
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';
import type {
  CopyObjectCommandOutput,
  CreateBucketCommandOutput,
  DeleteBucketCommandOutput,
  DeleteObjectCommandOutput,
  DeleteObjectsCommandOutput,
  GetObjectCommandOutput,
  HeadBucketCommandOutput,
  HeadObjectCommandOutput,
  ListBucketsCommandOutput,
  ListObjectsV2CommandOutput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';

/**
 * Emitted by `createBucket`: exactly once, on success, as its only value; then the stream completes.
 *
 * @example
 * ```ts
 * rx.createBucket('photos').subscribe((r) => {
 *   if (r.ok) console.log('created', r.val.bucket, r.val.location ?? '');
 * });
 * ```
 */
export interface BucketCreated {
  readonly bucket: string;
  /** The `Location` the service answered, where it sent one. */
  readonly location: string | undefined;
  readonly raw: CreateBucketCommandOutput;
}

/**
 * Emitted by `getBucketMetadata` (HeadBucket): exactly once, on success, as its only value; then the stream
 * completes.
 *
 * @example
 * ```ts
 * rx.getBucketMetadata('photos').subscribe((r) => {
 *   if (r.ok) console.log(r.val.bucket, 'is in', r.val.region ?? 'an unstated region');
 * });
 * ```
 */
export interface BucketMetadata {
  readonly bucket: string;
  /** The bucket's region, where the service tells it (`x-amz-bucket-region`). */
  readonly region: string | undefined;
  readonly raw: HeadBucketCommandOutput;
}

/**
 * One bucket in a {@link BucketList}. Not emitted on its own: `listBuckets` emits one `BucketList` whose
 * `buckets` holds one `BucketSummary` per bucket.
 *
 * @example
 * ```ts
 * rx.listBuckets().pipe(filterResultOk(), mergeMap((list) => list.buckets))
 *   .subscribe((b: BucketSummary) => console.log(b.name, b.creationDate?.toISOString()));
 * ```
 */
export interface BucketSummary {
  readonly name: string;
  readonly creationDate: Date | undefined;
}

/**
 * Emitted by `listBuckets`: exactly once, on success, with the buckets of its one ListBuckets request (rx-s3
 * does not page it); then the stream completes.
 *
 * @example
 * ```ts
 * const r = await lastValueFrom(rx.listBuckets());
 * if (r.ok) console.log(r.val.buckets.length, 'buckets');
 * ```
 */
export interface BucketList {
  readonly buckets: readonly BucketSummary[];
  readonly raw: ListBucketsCommandOutput;
}

/**
 * Emitted by `deleteBucket`: exactly once, on success, as its only value; then the stream completes.
 *
 * @example
 * ```ts
 * rx.deleteBucket('photos').subscribe((r) => {
 *   console.log(r.ok ? `deleted ${r.val.bucket}` : r.val.kind); // e.g. 'BucketNotEmpty'
 * });
 * ```
 */
export interface BucketDeleted {
  readonly bucket: string;
  readonly raw: DeleteBucketCommandOutput;
}

/**
 * The HTTP methods a presigned URL can be made for: the first argument of `generatePresignedUrl`, echoed back
 * as {@link PresignedUrl}'s `method`. Not emitted on its own.
 *
 * @example
 * ```ts
 * const method: PresignMethod = 'PUT';
 * rx.generatePresignedUrl(method, 'uploads', 'avatar.png', { contentType: 'image/png' }).subscribe(console.log);
 * ```
 */
export type PresignMethod = 'GET' | 'PUT' | 'DELETE' | 'HEAD';

/**
 * Emitted by `generatePresignedUrl`: exactly once, on success, as its only value; then the stream completes.
 * Signing is local: no request is sent.
 *
 * @example
 * ```ts
 * const r = await lastValueFrom(rx.generatePresignedUrl('GET', 'photos', 'cat.jpg', { ttl: 600 }));
 * if (r.ok) console.log(r.val.url, 'valid until', r.val.expiresAt.toISOString());
 * ```
 */
export interface PresignedUrl {
  readonly url: string;
  readonly method: PresignMethod;
  readonly bucket: string;
  readonly key: string;
  /** Seconds the URL is valid for, as asked. */
  readonly expiresIn: number;
  /** When the URL stops working (by the signing clock). */
  readonly expiresAt: Date;
}

/**
 * Emitted by `putObject`: exactly once, on success, as its only value; then the stream completes.
 *
 * @example
 * ```ts
 * rx.putObject('notes', 'today.txt', 'hello').subscribe((r) => {
 *   if (r.ok) console.log('stored', r.val.key, r.val.etag, r.val.versionId);
 * });
 * ```
 */
export interface ObjectWritten {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  readonly raw: PutObjectCommandOutput;
}

/**
 * The metadata of one object, as HeadObject and GetObject report it. Never emitted as such: it is the part
 * {@link ObjectMetadata} (`getObjectMetadata`) and {@link ObjectBody} (`getObject`) share, so one function can
 * take either.
 *
 * @example
 * ```ts
 * const describe = (info: ObjectInfo): string => `${info.key}: ${info.contentLength} bytes, ${info.contentType ?? '?'}`;
 * rx.getObjectMetadata('photos', 'cat.jpg').subscribe((r) => r.ok && console.log(describe(r.val)));
 * ```
 */
export interface ObjectInfo {
  readonly bucket: string;
  readonly key: string;
  readonly contentLength: number;
  readonly contentType: string | undefined;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
  /** User metadata (`x-amz-meta-*`), names in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly versionId: string | undefined;
}

/**
 * Emitted by `getObjectMetadata` (HeadObject): exactly once, on success, as its only value (answered by the
 * server, or with `{ cache: true }` by the client's metadata cache); then the stream completes.
 *
 * @example
 * ```ts
 * rx.getObjectMetadata('photos', 'cat.jpg', { cache: true }).subscribe((r) => {
 *   if (r.ok) console.log(r.val.contentLength, r.val.metadata['author'], r.val.fromCache);
 * });
 * ```
 */
export interface ObjectMetadata extends ObjectInfo {
  /** True when this answer came from the client's metadata cache (no request was sent). */
  readonly fromCache: boolean;
  readonly raw: HeadObjectCommandOutput;
}

/**
 * Emitted by `getObject`: exactly once, on success, as its only value; then the stream completes. It holds the
 * metadata and the body as a Node stream, not yet read.
 *
 * @example
 * ```ts
 * import { text } from 'node:stream/consumers';
 * const r = await lastValueFrom(rx.getObject('notes', 'today.txt', { range: { start: 0, end: 99 } }));
 * if (r.ok) console.log(r.val.contentRange, await text(r.val.body));
 * ```
 */
export interface ObjectBody extends ObjectInfo {
  /** The body. Read it, or `destroy()` it, so the connection is released. */
  readonly body: Readable;
  /** The `Content-Range` answered to a ranged request. */
  readonly contentRange: string | undefined;
  readonly raw: Omit<GetObjectCommandOutput, 'Body'>;
}

/**
 * One object in an {@link ObjectPage}. Not emitted on its own: `listObjects` emits one `ObjectPage` per page,
 * whose `objects` holds one `ObjectSummary` per key.
 *
 * @example
 * ```ts
 * rx.listObjects('photos').pipe(filterResultOk(), mergeMap((page) => page.objects))
 *   .subscribe((o: ObjectSummary) => console.log(o.key, o.size, o.storageClass));
 * ```
 */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
  readonly storageClass: string | undefined;
}

/**
 * Emitted by `listObjects`, once per page, in order and lazily (the next page is fetched only after this one
 * was delivered); the last page has `isLast: true`, then the stream completes.
 *
 * @example
 * ```ts
 * rx.listObjects('photos', { prefix: '2026/', delimiter: '/' }).subscribe((r) => {
 *   if (r.ok) console.log(`page ${r.val.pageNumber}:`, r.val.commonPrefixes, r.val.objects.length, r.val.isLast);
 * });
 * ```
 */
export interface ObjectPage {
  readonly bucket: string;
  readonly prefix: string | undefined;
  /** 1 for the first page. */
  readonly pageNumber: number;
  readonly objects: readonly ObjectSummary[];
  /** With a delimiter: the "folders" of this page. */
  readonly commonPrefixes: readonly string[];
  /** True on the last page. */
  readonly isLast: boolean;
  /**
   * Where this page ends, as an opaque string: `listObjects(bucket, { ...sameOptions, resume: token })` continues
   * exactly after it (no key twice, none missed). It holds the last key (or common prefix) delivered, not a
   * continuation token, so it does not expire.
   */
  readonly resumeToken: string;
  readonly raw: ListObjectsV2CommandOutput;
}

/**
 * A part of the key space: the keys after `startAfter` and before `endBefore` (both exclusive, UTF-8 binary
 * order; undefined means unbounded). `cutKeyRanges` returns N of them that together hold every key exactly once;
 * `listObjects(bucket, { ...range })` lists one.
 *
 * @example
 * ```ts
 * const ranges: readonly KeyRange[] = cutKeyRanges(sample, 4);
 * rx.listObjects('logs', { prefix: '2026/', ...ranges[2] }); // the third quarter of the keys
 * ```
 */
export interface KeyRange {
  readonly startAfter?: string;
  readonly endBefore?: string;
}

/**
 * Emitted by `walkObjects`, once per page of one of its listings (in arrival order, or in key order with
 * `ordered: true`); then the stream completes. `part` says which listing it came from: a common prefix, a key
 * range, or the objects beside the common prefixes at the top level.
 *
 * @example
 * ```ts
 * rx.walkObjects('logs', { prefix: '2026/', concurrency: 8 }).pipe(filterResultOk())
 *   .subscribe((page: WalkPage) => console.log(page.part, page.objects.length));
 * ```
 */
export interface WalkPage {
  readonly bucket: string;
  /** The walk's prefix. */
  readonly prefix: string | undefined;
  /** The listing this page belongs to: a prefix (and/or) a key range. */
  readonly part: { readonly prefix: string | undefined } & KeyRange;
  readonly objects: readonly ObjectSummary[];
}

/**
 * Emitted by `copyObject`: exactly once, on success, as its only value; then the stream completes. `moveObject`
 * carries it too, as `copy` in both of its events.
 *
 * @example
 * ```ts
 * rx.copyObject('photos', 'cat.jpg', 'archive', '2026/cat.jpg').subscribe((r) => {
 *   if (r.ok) console.log(`${r.val.sourceBucket}/${r.val.sourceKey} -> ${r.val.bucket}/${r.val.key}`);
 * });
 * ```
 */
export interface ObjectCopied {
  readonly sourceBucket: string;
  readonly sourceKey: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  readonly raw: CopyObjectCommandOutput;
}

/**
 * Emitted by `deleteObject`: exactly once, on success, as its only value; then the stream completes.
 * `moveObject` carries it too, as `delete` in its `deleted` event.
 *
 * @example
 * ```ts
 * rx.deleteObject('photos', 'cat.jpg').subscribe((r) => {
 *   if (r.ok) console.log('deleted', r.val.key);
 * });
 * ```
 */
export interface ObjectDeleted {
  readonly bucket: string;
  readonly key: string;
  readonly raw: DeleteObjectCommandOutput;
}

/**
 * One key a `DeleteObjects` request could not delete. Not emitted on its own: each {@link DeleteBatch} of
 * `deleteObjects` (still an `Ok`) lists them in `errors`, one per refused key.
 *
 * @example
 * ```ts
 * rx.deleteObjects('photos', ['a.jpg', 'b.jpg']).pipe(filterResultOk(), mergeMap((batch) => batch.errors))
 *   .subscribe((f: DeleteFailure) => console.warn(f.key, f.code, f.message));
 * ```
 */
export interface DeleteFailure {
  readonly key: string;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/**
 * Emitted by `deleteObjects`, once per request of at most 1,000 keys (requests are sent one after another; an
 * empty key list emits nothing); then the stream completes.
 *
 * @example
 * ```ts
 * rx.deleteObjects('photos', ['a.jpg', 'b.jpg']).subscribe((r) => {
 *   if (r.ok) console.log(`${r.val.deleted.length} deleted, ${r.val.errors.length} refused`);
 * });
 * ```
 */
export interface DeleteBatch {
  readonly bucket: string;
  /** The keys of this request that are gone. */
  readonly deleted: readonly string[];
  /** The keys of this request the service refused, with its reasons. */
  readonly errors: readonly DeleteFailure[];
  readonly raw: DeleteObjectsCommandOutput;
}

/**
 * Emitted by `moveObject`, at most twice: `copied` once the target exists and was verified against the source,
 * then `deleted` once the source is gone; then the stream completes.
 *
 * @example
 * ```ts
 * rx.moveObject('inbox', 'scan.pdf', 'archive', 'scan.pdf').pipe(filterResultOk()).subscribe((e: MoveEvent) => {
 *   if (e.stage === 'copied') console.log('verified', e.verified.size, 'bytes');
 *   else console.log('source deleted', e.delete.key);
 * });
 * ```
 */
export type MoveEvent =
  | { readonly stage: 'copied'; readonly copy: ObjectCopied; readonly verified: VerifiedCopy }
  | { readonly stage: 'deleted'; readonly copy: ObjectCopied; readonly delete: ObjectDeleted };

/**
 * What `moveObject` checked before it deleted the source. Not emitted on its own: it arrives once, as `verified`
 * in the `copied` event of {@link MoveEvent}.
 *
 * @example
 * ```ts
 * rx.moveObject('inbox', 'scan.pdf', 'archive', 'scan.pdf').subscribe((r) => {
 *   if (r.ok && r.val.stage === 'copied') console.log(r.val.verified.size, r.val.verified.targetEtag);
 * });
 * ```
 */
export interface VerifiedCopy {
  readonly size: number;
  readonly sourceEtag: string | undefined;
  readonly targetEtag: string | undefined;
}

/**
 * A progress tick of a transfer, emitted by `uploadFile`, `uploadStream`, `downloadFile` and `downloadStream`:
 * one or more per successful transfer, always before its one `complete`. Ticks are monotonic and throttled (by
 * default at most one per 100 ms and per 1 % of the total); the first says 0 bytes, the last equals the total.
 * No tick follows a failure or an unsubscribe.
 *
 * @example
 * ```ts
 * rx.uploadStream('logs', 'stdin.log', process.stdin).pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'progress') console.log(e.transferredBytes, 'of', e.totalBytes ?? 'unknown', 'bytes');
 * });
 * ```
 */
export interface TransferProgress {
  readonly kind: 'progress';
  /** Bytes sent or received so far (a retried part is not counted twice). */
  readonly transferredBytes: number;
  /** The size of the transfer; undefined only while uploading a stream of unknown length. */
  readonly totalBytes: number | undefined;
  /** 0 to 100, when the total is known. */
  readonly percent: number | undefined;
  /** Average rate since the transfer started. */
  readonly bytesPerSecond: number;
  readonly elapsedMs: number;
}

/**
 * What a finished upload reports. Emitted once per successful `uploadFile` or `uploadStream`, as the `output` of
 * its last event (`complete`).
 *
 * @example
 * ```ts
 * rx.uploadFile('videos', 'talk.mp4', './talk.mp4').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'complete') console.log(e.output.etag, e.output.parts, e.output.uploadId ?? 'single PUT');
 * });
 * ```
 */
export interface UploadOutput {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** The object's ETag (fetched with HeadObject when the server's completion answer lacks it, as Ceph's does). */
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  /** 1 for a single PutObject, else the number of parts. */
  readonly parts: number;
  /** The multipart UploadId, or undefined for a single PutObject. */
  readonly uploadId: string | undefined;
}

/**
 * What a finished download to a file reports. Emitted once per successful `downloadFile`, as the `output` of its
 * last event (`complete`), after the file is in place.
 *
 * @example
 * ```ts
 * rx.downloadFile('videos', 'talk.mp4', './talk.mp4').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'complete') console.log(e.output.filePath, e.output.size, 'bytes in', e.output.requests, 'GETs');
 * });
 * ```
 */
export interface DownloadOutput {
  readonly bucket: string;
  readonly key: string;
  readonly filePath: string;
  readonly size: number;
  /** The ETag every request of the download was pinned to. */
  readonly etag: string | undefined;
  /** How many GET requests carried the data (1 for a single streamed GET). */
  readonly requests: number;
}

/**
 * What a finished `downloadStream` reports. Emitted once per successful `downloadStream`, as the `output` of its
 * last event (`complete`), after the last data chunk.
 *
 * @example
 * ```ts
 * rx.downloadStream('logs', 'today.log').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'complete') console.log(`${e.output.key}: ${e.output.size} bytes, ETag ${e.output.etag}`);
 * });
 * ```
 */
export interface StreamOutput {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
}

/**
 * The last value of a transfer: `uploadFile`, `uploadStream` (`O` = {@link UploadOutput}), `downloadFile`
 * ({@link DownloadOutput}) and `downloadStream` ({@link StreamOutput}) emit exactly one on success, after every
 * other event; then the stream completes. A failed transfer emits an `Err` instead.
 *
 * @example
 * ```ts
 * const last = await lastValueFrom(rx.uploadFile('videos', 'talk.mp4', './talk.mp4'));
 * if (last.ok && last.val.kind === 'complete') console.log('uploaded', last.val.output.size, 'bytes');
 * ```
 */
export interface TransferComplete<O> {
  readonly kind: 'complete';
  readonly output: O;
}

/**
 * A chunk of an object's body, emitted by `downloadStream` once per chunk the network delivers, in byte order,
 * interleaved with progress ticks and before the one `complete`.
 *
 * @example
 * ```ts
 * import { createHash } from 'node:crypto';
 * const hash = createHash('sha256');
 * rx.downloadStream('logs', 'today.log').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'data') hash.update(e.chunk); else if (e.kind === 'complete') console.log(hash.digest('hex'));
 * });
 * ```
 */
export interface DataChunk {
  readonly kind: 'data';
  readonly chunk: Buffer;
}

/**
 * Emitted by `uploadFile` and `uploadStream`: progress ticks (one or more), then exactly one `complete`; then
 * the stream completes. On failure, one `Err` replaces the `complete`.
 *
 * @example
 * ```ts
 * rx.uploadFile('videos', 'talk.mp4', './talk.mp4').subscribe((r) => {
 *   if (r.err) console.error(r.val.kind, r.val.message);
 *   else if (r.val.kind === 'progress') console.log(`${r.val.percent?.toFixed(1)} %`);
 *   else console.log('uploaded in', r.val.output.parts, 'parts');
 * });
 * ```
 */
export type UploadEvent = TransferProgress | TransferComplete<UploadOutput>;
/**
 * Emitted by `downloadFile`: progress ticks (one or more), then exactly one `complete`; then the stream
 * completes. On failure, one `Err` replaces the `complete`.
 *
 * @example
 * ```ts
 * rx.downloadFile('videos', 'talk.mp4', './talk.mp4').subscribe((r) => {
 *   if (r.err) console.error(r.val.kind, r.val.message);
 *   else if (r.val.kind === 'progress') console.log(`${r.val.percent?.toFixed(1)} %`);
 *   else console.log('saved to', r.val.output.filePath);
 * });
 * ```
 */
export type DownloadEvent = TransferProgress | TransferComplete<DownloadOutput>;
/**
 * Emitted by `downloadStream`: data chunks (one per chunk received, in order) interleaved with progress ticks,
 * then exactly one `complete`; then the stream completes. On failure, one `Err` replaces the `complete`.
 *
 * @example
 * ```ts
 * rx.downloadStream('logs', 'today.log').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'data') process.stdout.write(e.chunk);
 *   else if (e.kind === 'progress') process.stderr.write(`\r${e.transferredBytes} bytes`);
 *   else process.stderr.write(`\ndone, ${e.output.size} bytes\n`);
 * });
 * ```
 */
export type StreamEvent = TransferProgress | DataChunk | TransferComplete<StreamOutput>;
