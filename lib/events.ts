/**
 * The values rx-s3 operations emit inside `Ok(...)`. How many and when is the contract of {@link RxS3} (and the
 * guide); each type below says only which operation emits it. Every value a request answered also carries the
 * SDK's own output as `raw`, typed, for the fields rx-s3 does not lift out.
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';
import type {
  CompleteMultipartUploadCommandOutput,
  CopyObjectCommandOutput,
  CreateBucketCommandOutput,
  DeleteBucketCommandOutput,
  DeleteObjectCommandOutput,
  DeleteObjectsCommandOutput,
  GetBucketVersioningCommandOutput,
  GetObjectCommandOutput,
  GetObjectTaggingCommandOutput,
  HeadBucketCommandOutput,
  HeadObjectCommandOutput,
  ListBucketsCommandOutput,
  ListObjectsV2CommandOutput,
  ListObjectVersionsCommandOutput,
  PutBucketVersioningCommandOutput,
  PutObjectCommandOutput,
  PutObjectTaggingCommandOutput,
} from '@aws-sdk/client-s3';
import type { S3ErrorKind } from './errors';

/**
 * The value of `createBucket`.
 *
 * @example
 * ```ts
 * rx.createBucket('photos').subscribe((r) => r.ok && console.log('created', r.val.bucket, r.val.location ?? ''));
 * ```
 */
export interface BucketCreated {
  readonly bucket: string;
  /** The `Location` the service answered, where it sent one. */
  readonly location: string | undefined;
  readonly raw: CreateBucketCommandOutput;
}

/**
 * The value of `getBucketMetadata` (HeadBucket).
 *
 * @example
 * ```ts
 * rx.getBucketMetadata('photos').subscribe((r) => r.ok && console.log(r.val.region ?? 'an unstated region'));
 * ```
 */
export interface BucketMetadata {
  readonly bucket: string;
  /** The bucket's region, where the service tells it (`x-amz-bucket-region`). */
  readonly region: string | undefined;
  readonly raw: HeadBucketCommandOutput;
}

/**
 * One bucket of a {@link BucketList}.
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
 * The value of `listBuckets`: the buckets of its one ListBuckets request (not paged).
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
 * The value of `deleteBucket`.
 *
 * @example
 * ```ts
 * rx.deleteBucket('photos').subscribe((r) => console.log(r.ok ? `deleted ${r.val.bucket}` : r.val.kind));
 * ```
 */
export interface BucketDeleted {
  readonly bucket: string;
  readonly raw: DeleteBucketCommandOutput;
}

/**
 * The HTTP methods a presigned URL can be made for.
 *
 * @example
 * ```ts
 * const method: PresignMethod = 'PUT';
 * rx.generatePresignedUrl(method, 'uploads', 'avatar.png').subscribe(console.log);
 * ```
 */
export type PresignMethod = 'GET' | 'PUT' | 'DELETE' | 'HEAD';

/**
 * The value of `generatePresignedUrl`. Signing is local: no request is sent.
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
 * The value of `putObject`.
 *
 * @example
 * ```ts
 * rx.putObject('notes', 'today.txt', 'hello').subscribe((r) => r.ok && console.log(r.val.etag, r.val.versionId));
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
 * An object's metadata: what {@link ObjectMetadata} (`getObjectMetadata`) and {@link ObjectBody} (`getObject`)
 * share, so one function can take either.
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
 * The value of `getObjectMetadata` (HeadObject, or with `{ cache: true }` the client's metadata cache).
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
 * The value of `getObject`: the metadata, and the body as a Node stream not yet read.
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
 * One object of an {@link ObjectPage}.
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
 * A value of `listObjects`: one page, in order, fetched only after the previous one was delivered. An empty
 * listing is one empty page.
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
 * A value of `walkObjects`: one per page of one of its listings (in arrival order, or in key order with
 * `ordered: true`). `part` says which listing it came from: a common prefix, a key
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
 * The `output` of `copyObject`'s `complete` event; `moveObject` carries it as `copy`.
 *
 * @example
 * ```ts
 * rx.copyObject({ bucket: 'photos', key: 'cat.jpg' }, { bucket: 'archive', key: '2026/cat.jpg' }).pipe(filterResultOk())
 *   .subscribe((e) => e.kind === 'complete' && console.log(`${e.output.sourceKey} -> ${e.output.key} in ${e.output.parts} part(s)`));
 * ```
 */
export interface ObjectCopied {
  readonly sourceBucket: string;
  readonly sourceKey: string;
  /** The source version copied, when one was asked for (or the server named it). */
  readonly sourceVersionId: string | undefined;
  readonly bucket: string;
  readonly key: string;
  /** The copy's ETag, as CopyObject (or CompleteMultipartUpload, or a HeadObject after it) answered. */
  readonly etag: string | undefined;
  /** The copy's version, in a versioned bucket. */
  readonly versionId: string | undefined;
  /** Bytes copied (the source's size). */
  readonly size: number;
  /** 1 for a single CopyObject, else the number of UploadPartCopy parts. */
  readonly parts: number;
  /** The multipart UploadId, or undefined for a single CopyObject. */
  readonly uploadId: string | undefined;
  readonly raw: CopyObjectCommandOutput | CompleteMultipartUploadCommandOutput;
}

/**
 * The values of `copyObject`: progress ticks (the first at 0 bytes; a multipart copy ticks as its parts finish),
 * then one `complete` whose `output` is the {@link ObjectCopied}.
 *
 * @example
 * ```ts
 * rx.copyObject({ bucket: 'videos', key: 'raw.mov' }, { bucket: 'archive', key: 'raw.mov' }).subscribe((r) => {
 *   if (r.err) console.error(r.val.kind, r.val.message);
 *   else if (r.val.kind === 'progress') console.log(`${r.val.percent?.toFixed(1)} %`);
 *   else console.log('copied, ETag', r.val.output.etag);
 * });
 * ```
 */
export type CopyEvent = TransferProgress | TransferComplete<ObjectCopied>;

/**
 * The value of `deleteObject`; `moveObject` carries it as `delete`.
 *
 * @example
 * ```ts
 * rx.deleteObject('photos', 'cat.jpg').subscribe((r) => r.ok && console.log('deleted', r.val.key));
 * ```
 */
export interface ObjectDeleted {
  readonly bucket: string;
  readonly key: string;
  /** The version deleted (when one was named), or the delete marker's version in a versioned bucket. */
  readonly versionId: string | undefined;
  /** True when the delete created (or removed) a delete marker rather than data. */
  readonly deleteMarker: boolean;
  readonly raw: DeleteObjectCommandOutput;
}

/**
 * One key of a {@link DeleteBatch} the service refused to delete. `kind` classifies `code` the way every
 * {@link S3Error} is classified (`kindOfCode`).
 *
 * @example
 * ```ts
 * rx.deleteObjects('photos', ['a.jpg', 'b.jpg']).pipe(filterResultOk(), mergeMap((batch) => batch.errors))
 *   .subscribe((f: DeleteFailure) => console.warn(f.key, f.kind, f.message));
 * ```
 */
export interface DeleteFailure {
  readonly kind: S3ErrorKind;
  readonly key: string;
  /** The service's error code, as sent. */
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/**
 * A value of `deleteObjects`: one per DeleteObjects request of at most 1,000 keys. An empty key list is one
 * empty batch, and no request.
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
  /** The SDK's answer; undefined for the empty batch of an empty key list (no request was sent). */
  readonly raw: DeleteObjectsCommandOutput | undefined;
}

/**
 * The values of `moveObject`: the copy's progress ticks, then `copied` once the target exists and was verified
 * against the copy's answer, then `deleted` once the source is gone.
 *
 * @example
 * ```ts
 * rx.moveObject({ bucket: 'inbox', key: 'scan.pdf' }, { bucket: 'archive', key: 'scan.pdf' }).pipe(filterResultOk())
 *   .subscribe((e: MoveEvent) => {
 *     if (e.kind === 'copied') console.log('verified', e.verified.size, 'bytes');
 *     else if (e.kind === 'deleted') console.log('source deleted', e.delete.key);
 *   });
 * ```
 */
export type MoveEvent =
  | TransferProgress
  | { readonly kind: 'copied'; readonly copy: ObjectCopied; readonly verified: VerifiedCopy }
  | { readonly kind: 'deleted'; readonly copy: ObjectCopied; readonly delete: ObjectDeleted };

/**
 * What `moveObject` checked before it deleted the source: the `verified` of its `copied` event.
 *
 * @example
 * ```ts
 * rx.moveObject({ bucket: 'inbox', key: 'scan.pdf' }, { bucket: 'archive', key: 'scan.pdf' }).subscribe((r) => {
 *   if (r.ok && r.val.kind === 'copied') console.log(r.val.verified.size, r.val.verified.targetEtag);
 * });
 * ```
 */
export interface VerifiedCopy {
  readonly size: number;
  readonly sourceEtag: string | undefined;
  readonly targetEtag: string | undefined;
}

/**
 * A progress tick of any transfer. Ticks are monotonic and throttled (by default at most one per 100 ms and per
 * 1 % of the total); the first says 0 bytes, the last equals the total. Where the total is known from the start
 * (`uploadFile`, `downloadFile`) the ticks are {@link SizedTransferProgress}: `totalBytes` and `percent` are
 * numbers. Only a stream of unknown length (`uploadStream` without `contentLength`, `downloadStream` of a
 * chunked answer) leaves them undefined until its last tick.
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
  /** The size of the transfer, when known. */
  readonly totalBytes: number | undefined;
  /** 0 to 100, when the total is known. */
  readonly percent: number | undefined;
  /** Average rate since the transfer started. */
  readonly bytesPerSecond: number;
  readonly elapsedMs: number;
}

/**
 * A progress tick of a transfer whose size is known before its first byte: `uploadFile` and `downloadFile`.
 *
 * @example
 * ```ts
 * rx.downloadFile('videos', 'talk.mp4', './talk.mp4').pipe(filterResultOk()).subscribe((e) => {
 *   if (e.kind === 'progress') bar.update(e.percent, e.totalBytes); // numbers, no `?? 0`
 * });
 * ```
 */
export interface SizedTransferProgress extends TransferProgress {
  readonly totalBytes: number;
  /** 0 to 100. */
  readonly percent: number;
}

/**
 * The `output` of the `complete` of `uploadFile` and `uploadStream`.
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
  /**
   * The object's ETag (fetched with HeadObject when the server's completion answer lacks it, as Ceph's does;
   * undefined when that HEAD fails, e.g. with write-only credentials: the object is stored all the same).
   */
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  /** 1 for a single PutObject, else the number of parts. */
  readonly parts: number;
  /** The multipart UploadId, or undefined for a single PutObject. */
  readonly uploadId: string | undefined;
}

/**
 * The `output` of the `complete` of `downloadFile`, once the file is in place.
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
  /** How many GET requests were sent, every retry and resume included (1 for an object of one part when nothing failed). */
  readonly requests: number;
}

/**
 * The `output` of the `complete` of `downloadStream`.
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
 * The last value of a successful transfer, after every tick: its `output` is an {@link UploadOutput},
 * {@link DownloadOutput} or {@link StreamOutput}.
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
 * A chunk of an object's body, from `downloadStream`, in byte order.
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
 * The values of `uploadStream` (and of `uploadFile`, whose ticks are the narrower {@link FileUploadEvent}).
 *
 * @example
 * ```ts
 * rx.uploadStream('logs', 'today.log', process.stdin).subscribe((r) => {
 *   if (r.err) console.error(r.val.kind, r.val.message);
 *   else if (r.val.kind === 'progress') console.log(r.val.transferredBytes, 'bytes');
 *   else console.log('uploaded in', r.val.output.parts, 'parts');
 * });
 * ```
 */
export type UploadEvent = TransferProgress | TransferComplete<UploadOutput>;
/**
 * The values of `uploadFile`: sized progress ticks, then one `complete`.
 *
 * @example
 * ```ts
 * rx.uploadFile('videos', 'talk.mp4', './talk.mp4').subscribe((r) => {
 *   if (r.err) console.error(r.val.kind, r.val.message);
 *   else if (r.val.kind === 'progress') console.log(`${r.val.percent.toFixed(1)} %`);
 *   else console.log('uploaded in', r.val.output.parts, 'parts');
 * });
 * ```
 */
export type FileUploadEvent = SizedTransferProgress | TransferComplete<UploadOutput>;
/**
 * The values of `downloadFile`: sized progress ticks, then one `complete`.
 *
 * @example
 * ```ts
 * rx.downloadFile('videos', 'talk.mp4', './talk.mp4').subscribe((r) => {
 *   if (r.err) console.error(r.val.kind, r.val.message);
 *   else if (r.val.kind === 'progress') console.log(`${r.val.percent.toFixed(1)} %`);
 *   else console.log('saved to', r.val.output.filePath);
 * });
 * ```
 */
export type DownloadEvent = SizedTransferProgress | TransferComplete<DownloadOutput>;
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

/**
 * The value of `getBucketVersioning`, and of `putBucketVersioning` (with the state it set).
 *
 * @example
 * ```ts
 * rx.getBucketVersioning('photos').subscribe((r) => r.ok && console.log(r.val.status)); // 'Enabled', 'Suspended' or 'Unversioned'
 * ```
 */
export interface BucketVersioning {
  readonly bucket: string;
  /** `Unversioned` until versioning was first enabled; once enabled a bucket can only be `Suspended`. */
  readonly status: 'Enabled' | 'Suspended' | 'Unversioned';
  readonly raw: GetBucketVersioningCommandOutput | PutBucketVersioningCommandOutput;
}

/**
 * One version of an object in an {@link ObjectVersionPage} (not emitted on its own).
 *
 * @example
 * ```ts
 * rx.listObjectVersions('photos').pipe(filterResultOk(), mergeMap((page) => page.versions))
 *   .subscribe((v: ObjectVersionSummary) => console.log(v.key, v.versionId, v.isLatest ? '(latest)' : ''));
 * ```
 */
export interface ObjectVersionSummary {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
}

/**
 * A delete marker in an {@link ObjectVersionPage} (not emitted on its own): the key looks deleted while it is
 * the latest version; deleting the marker (by its `versionId`) brings the previous version back.
 *
 * @example
 * ```ts
 * rx.listObjectVersions('photos').pipe(filterResultOk(), mergeMap((page) => page.deleteMarkers))
 *   .subscribe((m: DeleteMarkerSummary) => rx.deleteObject('photos', m.key, { versionId: m.versionId }).subscribe());
 * ```
 */
export interface DeleteMarkerSummary {
  readonly key: string;
  readonly versionId: string;
  readonly isLatest: boolean;
  readonly lastModified: Date | undefined;
}

/**
 * A value of `listObjectVersions`: one per page, in order and lazily (as `listObjects` pages); the last page has
 * `isLast: true`.
 *
 * @example
 * ```ts
 * rx.listObjectVersions('photos', { prefix: 'cat' }).subscribe((r) => {
 *   if (r.ok) console.log(`page ${r.val.pageNumber}: ${r.val.versions.length} versions, ${r.val.deleteMarkers.length} markers`);
 * });
 * ```
 */
export interface ObjectVersionPage {
  readonly bucket: string;
  readonly prefix: string | undefined;
  readonly pageNumber: number;
  readonly versions: readonly ObjectVersionSummary[];
  readonly deleteMarkers: readonly DeleteMarkerSummary[];
  readonly commonPrefixes: readonly string[];
  readonly isLast: boolean;
  readonly raw: ListObjectVersionsCommandOutput;
}

/**
 * The value of `getObjectTagging` (the object's tags) and `putObjectTagging` (the tags it set).
 *
 * @example
 * ```ts
 * rx.getObjectTagging('docs', 'plan.txt').subscribe((r) => r.ok && console.log(r.val.tags['project']));
 * ```
 */
export interface ObjectTagging {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly raw: GetObjectTaggingCommandOutput | PutObjectTaggingCommandOutput;
}

/**
 * The value of `generatePresignedPost`. Signing is local: no
 * request is sent. A browser form (or any multipart/form-data POST) sends every `fields` entry, then the file
 * as the last field, `file`, to `url`.
 *
 * @example
 * ```ts
 * const r = await lastValueFrom(rx.generatePresignedPost('uploads', 'avatars/${filename}', { contentLengthRange: { min: 1, max: 1_000_000 } }));
 * if (r.ok) {
 *   const form = new FormData();
 *   for (const [name, value] of Object.entries(r.val.fields)) form.append(name, value);
 *   form.append('file', new Blob([bytes]), 'me.png');
 *   await fetch(r.val.url, { method: 'POST', body: form });
 * }
 * ```
 */
export interface PresignedPost {
  readonly url: string;
  /** The form fields to send before the file: key, policy, signature, credential, date... */
  readonly fields: Readonly<Record<string, string>>;
  readonly bucket: string;
  /** The key, or the key pattern ending in `${filename}`. */
  readonly key: string;
  readonly expiresIn: number;
  readonly expiresAt: Date;
}
