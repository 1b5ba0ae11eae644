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

/** Emitted by `createBucket`. */
export interface BucketCreated {
  readonly bucket: string;
  /** The `Location` the service answered, where it sent one. */
  readonly location: string | undefined;
  readonly raw: CreateBucketCommandOutput;
}

/** Emitted by `getBucketMetadata` (HeadBucket). */
export interface BucketMetadata {
  readonly bucket: string;
  /** The bucket's region, where the service tells it (`x-amz-bucket-region`). */
  readonly region: string | undefined;
  readonly raw: HeadBucketCommandOutput;
}

/** One bucket in a {@link BucketList}. */
export interface BucketSummary {
  readonly name: string;
  readonly creationDate: Date | undefined;
}

/** Emitted by `listBuckets`. */
export interface BucketList {
  readonly buckets: readonly BucketSummary[];
  readonly raw: ListBucketsCommandOutput;
}

/** Emitted by `deleteBucket`. */
export interface BucketDeleted {
  readonly bucket: string;
  readonly raw: DeleteBucketCommandOutput;
}

/** The HTTP methods a presigned URL can be made for. */
export type PresignMethod = 'GET' | 'PUT' | 'DELETE' | 'HEAD';

/** Emitted by `generatePresignedUrl`. */
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

/** Emitted by `putObject`. */
export interface ObjectWritten {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  readonly versionId: string | undefined;
  readonly raw: PutObjectCommandOutput;
}

/** The metadata of one object, as HeadObject and GetObject report it. */
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

/** Emitted by `getObjectMetadata` (HeadObject). */
export interface ObjectMetadata extends ObjectInfo {
  /** True when this answer came from the client's metadata cache (no request was sent). */
  readonly fromCache: boolean;
  readonly raw: HeadObjectCommandOutput;
}

/** Emitted by `getObject`: the metadata and the body as a Node stream, not yet read. */
export interface ObjectBody extends ObjectInfo {
  /** The body. Read it, or `destroy()` it, so the connection is released. */
  readonly body: Readable;
  /** The `Content-Range` answered to a ranged request. */
  readonly contentRange: string | undefined;
  readonly raw: Omit<GetObjectCommandOutput, 'Body'>;
}

/** One object in an {@link ObjectPage}. */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: Date | undefined;
  readonly storageClass: string | undefined;
}

/** Emitted by `listObjects`, once per page. */
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
  readonly raw: ListObjectsV2CommandOutput;
}

/** Emitted by `copyObject`. */
export interface ObjectCopied {
  readonly sourceBucket: string;
  readonly sourceKey: string;
  readonly bucket: string;
  readonly key: string;
  readonly etag: string | undefined;
  readonly raw: CopyObjectCommandOutput;
}

/** Emitted by `deleteObject`. */
export interface ObjectDeleted {
  readonly bucket: string;
  readonly key: string;
  readonly raw: DeleteObjectCommandOutput;
}

/** One key a `DeleteObjects` request could not delete. */
export interface DeleteFailure {
  readonly key: string;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/** Emitted by `deleteObjects`, once per request of at most 1,000 keys. */
export interface DeleteBatch {
  readonly bucket: string;
  /** The keys of this request that are gone. */
  readonly deleted: readonly string[];
  /** The keys of this request the service refused, with its reasons. */
  readonly errors: readonly DeleteFailure[];
  readonly raw: DeleteObjectsCommandOutput;
}

/**
 * Emitted by `moveObject`: `copied` once the target exists and was verified against the source, then `deleted`
 * once the source is gone.
 */
export type MoveEvent =
  | { readonly stage: 'copied'; readonly copy: ObjectCopied; readonly verified: VerifiedCopy }
  | { readonly stage: 'deleted'; readonly copy: ObjectCopied; readonly delete: ObjectDeleted };

/** What `moveObject` checked before it deleted the source. */
export interface VerifiedCopy {
  readonly size: number;
  readonly sourceEtag: string | undefined;
  readonly targetEtag: string | undefined;
}

/**
 * A progress tick of a transfer. Ticks are monotonic and throttled (by default at most one per 100 ms and per
 * 1 % of the total); the first says 0 bytes, the last equals the total.
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

/** What a finished upload reports. */
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

/** What a finished download to a file reports. */
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

/** What a finished `downloadStream` reports. */
export interface StreamOutput {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string | undefined;
}

/** The last value of a transfer. */
export interface TransferComplete<O> {
  readonly kind: 'complete';
  readonly output: O;
}

/** A chunk of an object's body, emitted in order by `downloadStream`. */
export interface DataChunk {
  readonly kind: 'data';
  readonly chunk: Buffer;
}

/** Emitted by `uploadFile` and `uploadStream`: progress ticks, then one `complete`. */
export type UploadEvent = TransferProgress | TransferComplete<UploadOutput>;
/** Emitted by `downloadFile`: progress ticks, then one `complete`. */
export type DownloadEvent = TransferProgress | TransferComplete<DownloadOutput>;
/** Emitted by `downloadStream`: data chunks and progress ticks, then one `complete`. */
export type StreamEvent = TransferProgress | DataChunk | TransferComplete<StreamOutput>;
