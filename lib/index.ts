/**
 * rx-s3: a reactive S3 SDK for Node. Every operation is a method of {@link RxS3} returning a cold, cancellable
 * `Observable` of `Result<T, S3Error>` values.
 * @packageDocumentation
 */
export { RxS3, clientConfig, type RxS3Options } from './rx-s3';
export { isRetryable, isS3Error, kindOfCode, redactSecrets, toS3Error, type S3Error, type S3ErrorKind, type ErrorContext } from './errors';
export type {
  BucketCreated,
  BucketDeleted,
  BucketList,
  BucketMetadata,
  BucketSummary,
  BucketVersioning,
  CopyEvent,
  DataChunk,
  DeleteMarkerSummary,
  DeleteBatch,
  DeleteFailure,
  DownloadEvent,
  DownloadOutput,
  FileUploadEvent,
  MoveEvent,
  ObjectBody,
  ObjectCopied,
  ObjectDeleted,
  ObjectInfo,
  ObjectMetadata,
  ObjectPage,
  ObjectSummary,
  ObjectTagging,
  ObjectVersionPage,
  ObjectVersionSummary,
  ObjectWritten,
  PresignedPost,
  PresignedUrl,
  PresignMethod,
  SizedTransferProgress,
  StreamEvent,
  StreamOutput,
  TransferComplete,
  TransferProgress,
  UploadEvent,
  UploadOutput,
  VerifiedCopy,
  KeyRange,
  WalkPage,
} from './events';
export type { CreateBucketOptions } from './operations/create-bucket';
export type { PresignOptions } from './operations/generate-presigned-url';
export type { PutBody, PutChecksum, PutObjectOptions } from './operations/put-object';
export type { ByteRange, GetObjectOptions } from './operations/get-object';
export type { GetObjectMetadataOptions } from './operations/get-object-metadata';
export type { ListObjectsOptions } from './operations/list-objects';
export type { CopyObjectOptions, CopyParams } from './operations/copy-object';
export type { DeleteObjectOptions } from './operations/delete-object';
export type { PresignPostOptions, PostPolicyCondition } from './operations/generate-presigned-post';
export type { ListObjectVersionsOptions } from './operations/list-object-versions';
export type { ObjectTaggingOptions } from './operations/get-object-tagging';
export type { ObjectRef } from './internal/copy-source';
export type { SseCustomerKey } from './internal/sse';
export type { ObjectTags } from './internal/tags';
export type { WriteOptions, WriteParams } from './internal/upload-options';
export type { ForEachObjectOptions } from './operations/for-each-object';
export type { WalkObjectsOptions } from './operations/walk-objects';
export type { KeySample, SampleKeySpaceOptions } from './operations/sample-key-space';
export { cutKeyRanges, inKeyRange, parseShard } from './operations/key-ranges';
export { compareKeys } from './internal/key-order';
export type { MoveObjectOptions } from './operations/move-object';
export type { UploadFileOptions } from './operations/upload-file';
export type { UploadStreamOptions } from './operations/upload-stream';
export type { DownloadFileOptions } from './operations/download-file';
export type { DownloadStreamOptions } from './operations/download-stream';
export type { UploadOptions } from './internal/upload-options';
export type { MetadataCacheOptions } from './internal/metadata-cache';
export type { CallOptions, TimeoutOptions } from './internal/timeouts';
export type { CaBundle } from './internal/network';
export type { DataPlaneMode, PayloadSigning } from './internal/lean/eligibility';
export { Budget, type BudgetOptions } from './internal/budget';
export type { BulkOptions, SyncCompareOptions } from './internal/bulk/job';
export type { Filter } from './internal/bulk/filters';
export type { SyncOptions, SyncPlace } from './operations/sync';
export type {
  BulkAction,
  BulkDone,
  BulkEvent,
  BulkFailed,
  BulkPlanned,
  BulkProgress,
  BulkSkipped,
  BulkStarted,
  BulkSummary,
  SkipReason,
  TransferReason,
} from './bulk-events';
/**
 * ts-results' `Ok`, `Err` and `Result`, re-exported so ES-module consumers need not import ts-results (a
 * CommonJS/UMD package) themselves. Every rx-s3 operation emits `Result<T, S3Error>` values: `Ok(T)` or
 * `Err(S3Error)`.
 *
 * @example
 * ```ts
 * import { Err, Ok, type Result, type S3Error, type ObjectMetadata } from 'rx-s3';
 * const nonEmpty = (r: Result<ObjectMetadata, S3Error>): Result<ObjectMetadata, string> =>
 *   r.err ? Err(r.val.message) : r.val.contentLength > 0 ? Ok(r.val) : Err(`${r.val.key} is empty`);
 * ```
 */
export { Ok, Err, type Result } from 'ts-results';
/**
 * ts-results' RxJS operators, re-exported for the same reason. They map, filter and tap the `Result` values the
 * operations emit: `filterResultOk()` passes each `Ok` value unwrapped and drops the `Err`s, `tapResultErr`
 * sees each `Err`'s `S3Error`.
 *
 * @example
 * ```ts
 * import { filterResultOk, tapResultErr } from 'rx-s3';
 * rx.listObjects('photos').pipe(tapResultErr((e) => console.error(e.kind, e.message)), filterResultOk())
 *   .subscribe((page) => console.log(page.objects.length));
 * ```
 */
export { filterResultOk, filterResultErr, resultMap, resultMergeMap, tapResultOk, tapResultErr } from 'ts-results/rxjs-operators';
