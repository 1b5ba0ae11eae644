import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type CopyObjectCommandInput,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { s3Error, type ErrorContext } from '../errors';
import type { ObjectCopied } from '../events';
import type { ClientContext } from './context';
import { copySource, type ObjectRef } from './copy-source';
import { holdUpload, MAX_PART_SIZE, partSizeFor } from './multipart';
import type { WorkIO } from './work';
import type { ProgressMeter } from './progress';
import { copySourceSseFields, sseCustomerFields, type SseCustomerKey } from './sse';
import { fromTagSet, tagCompleted, taggingHeader, type ObjectTags } from './tags';

const MiB = 1024 * 1024;
/** Above this size a copy is a multipart copy: CopyObject stops at 5 GiB. */
export const DEFAULT_COPY_THRESHOLD = MAX_PART_SIZE;
/** Bytes per UploadPartCopy by default: the data stays on the server, so parts can be large. */
export const DEFAULT_COPY_PART_SIZE = 64 * MiB;
export const DEFAULT_COPY_CONCURRENCY = 8;

/**
 * The SDK's CopyObject input fields that `copyObject` and `moveObject` let through (their `params` option); the
 * typed options win where they overlap. A multipart copy sends them with CreateMultipartUpload.
 *
 * @example
 * ```ts
 * const params: CopyParams = { StorageClass: 'GLACIER_IR', ServerSideEncryption: 'AES256' };
 * rx.copyObject({ bucket: 'logs', key: '2025.tar' }, { bucket: 'archive', key: '2025.tar' }, { params }).subscribe(console.log);
 * ```
 */
export type CopyParams = Omit<CopyObjectCommandInput, 'Bucket' | 'Key' | 'CopySource'>;

/** What is copied where, and how. */
export interface CopyPlan {
  readonly source: ObjectRef;
  readonly target: ObjectRef;
  /** Replacements; undefined means "as the source has it". */
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly contentType: string | undefined;
  readonly tags: ObjectTags | undefined;
  readonly params: CopyParams;
  /** The target's SSE-C key. */
  readonly sseCustomerKey: SseCustomerKey | undefined;
  /** The source's SSE-C key. */
  readonly sourceSseCustomerKey: SseCustomerKey | undefined;
  /** Copy only if the source's ETag is this one. */
  readonly ifMatch: string | undefined;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly concurrency: number;
}

/**
 * Copies `plan.source` to `plan.target` server-side. HeadObject on the source first (unless `sourceHead` is
 * given) for its size and ETag; every later request is pinned to that ETag (`x-amz-copy-source-if-match`), so a
 * source overwritten meanwhile fails the copy instead of mixing versions. Up to `multipartThreshold` one
 * CopyObject; above it a multipart copy (UploadPartCopy ranges, `concurrency` in flight) that carries the
 * source's headers, metadata and tags over (or the replacements asked for) and, on failure or abort, aborts its
 * multipart upload through the same path as uploads. Progress counts the source's bytes as parts finish.
 */
export async function runCopy(
  ctx: ClientContext,
  plan: CopyPlan,
  meter: ProgressMeter,
  signal: AbortSignal,
  hold: WorkIO<unknown>['hold'],
  sourceHead?: HeadObjectCommandOutput,
): Promise<ObjectCopied> {
  const { source, target } = plan;
  const context: ErrorContext = { operation: 'copyObject', bucket: target.bucket, key: target.key, source: { bucket: source.bucket, key: source.key } };
  const sourceSse = sseCustomerFields(plan.sourceSseCustomerKey);
  const head =
    sourceHead ??
    (await ctx.data.send(
      new HeadObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId, IfMatch: plan.ifMatch, ...sourceSse }),
      { abortSignal: signal },
    ));
  const size = head.ContentLength ?? 0;
  const etag = plan.ifMatch ?? head.ETag;
  meter.setTotal(size);
  meter.start();

  const targetFields = { ...sseCustomerFields(plan.sseCustomerKey), Bucket: target.bucket, Key: target.key };
  const shared = {
    ...targetFields,
    ...copySourceSseFields(plan.sourceSseCustomerKey),
    CopySource: copySource(source.bucket, source.key, source.versionId),
    CopySourceIfMatch: etag,
  };
  const result = { sourceBucket: source.bucket, sourceKey: source.key, sourceVersionId: source.versionId ?? head.VersionId, bucket: target.bucket, key: target.key, size };

  if (size <= plan.multipartThreshold) {
    const replace = plan.metadata !== undefined || plan.contentType !== undefined;
    // REPLACE drops every stored header: carry over from the source what the caller did not replace.
    const headers = replace ? { ...storedHeaders(head), ...definedOnly({ ContentType: plan.contentType, Metadata: plan.metadata }) } : {};
    const raw = await ctx.client.send(
      new CopyObjectCommand({
        ...plan.params,
        ...headers,
        ...shared,
        ...(replace ? { MetadataDirective: 'REPLACE' } : {}),
        ...(plan.tags !== undefined ? { TaggingDirective: 'REPLACE', Tagging: taggingHeader(plan.tags) } : {}),
      }),
      { abortSignal: signal },
    );
    // Ceph RGW 16 ignores x-amz-tagging-directive: REPLACE keeps the source's tags there. Set them explicitly.
    if (plan.tags !== undefined) await tagCompleted(ctx, { ...target, versionId: raw.VersionId }, taggingHeader(plan.tags), context, signal);
    meter.add(size);
    return { ...result, etag: raw.CopyObjectResult?.ETag, versionId: raw.VersionId, parts: 1, uploadId: undefined, raw };
  }

  // A multipart upload starts empty: the source's headers, metadata and tags are carried over explicitly.
  const tags =
    plan.tags !== undefined
      ? taggingHeader(plan.tags)
      : plan.params.TaggingDirective === 'REPLACE'
        ? plan.params.Tagging
        : taggingHeader(
            fromTagSet(
              (await ctx.client.send(new GetObjectTaggingCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }), { abortSignal: signal }))
                .TagSet,
            ),
          );
  const created = await ctx.client.send(
    new CreateMultipartUploadCommand({
      ...storedHeaders(head),
      ...plan.params,
      ...definedOnly({ ContentType: plan.contentType, Metadata: plan.metadata, Tagging: tags === '' ? undefined : tags }),
      ...targetFields,
    }),
  );
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw s3Error('ServiceError', context, 'CreateMultipartUpload answered no UploadId');
  const completedUpload = holdUpload(hold, ctx, target, uploadId);
  signal.throwIfAborted();
  const partSize = partSizeFor(1, plan.partSize, size);
  const ranges: Array<{ start: number; end: number }> = [];
  for (let start = 0; start < size; start += partSize) ranges.push({ start, end: Math.min(size, start + partSize) - 1 });
  const completed: CompletedPart[] = [];
  const parts = new AbortController();
  const stopParts = (): void => parts.abort(signal.reason);
  signal.addEventListener('abort', stopParts, { once: true });
  let failure: { cause: unknown } | undefined;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ranges.length && !parts.signal.aborted) {
      const index = next++;
      const range = ranges[index]!;
      try {
        const answer = await ctx.client.send(
          new UploadPartCopyCommand({ ...shared, UploadId: uploadId, PartNumber: index + 1, CopySourceRange: `bytes=${range.start}-${range.end}` }),
          { abortSignal: parts.signal },
        );
        completed[index] = { PartNumber: index + 1, ETag: answer.CopyPartResult?.ETag };
        meter.add(range.end - range.start + 1);
      } catch (cause) {
        failure ??= { cause };
        parts.abort(cause);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(plan.concurrency, ranges.length) }, worker));
  } finally {
    signal.removeEventListener('abort', stopParts);
  }
  if (failure !== undefined) throw failure.cause;
  signal.throwIfAborted();
  // Ceph RGW 16 ignores x-amz-copy-source-if-match on UploadPartCopy: make sure the source did not change while
  // its parts were copied (any change after the first HeadObject shows here), else the parts may mix versions.
  const after = await ctx.data.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId, ...sourceSse }), { abortSignal: signal });
  if (after.ETag !== etag) {
    throw s3Error('PreconditionFailed', context, `s3://${source.bucket}/${source.key} changed during the copy (ETag ${etag ?? '?'}, now ${after.ETag ?? '?'}); nothing was copied`);
  }
  const done = await ctx.client.send(
    new CompleteMultipartUploadCommand({ ...targetFields, UploadId: uploadId, MultipartUpload: { Parts: completed } }),
    { abortSignal: signal },
  );
  // Some servers (Ceph RGW) answer an empty ETag here; HeadObject has the right one.
  const copyEtag =
    done.ETag !== undefined && done.ETag !== ''
      ? done.ETag
      : (await ctx.data.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key, VersionId: done.VersionId, ...sseCustomerFields(plan.sseCustomerKey) }), { abortSignal: signal })).ETag;
  await tagCompleted(ctx, { ...target, versionId: done.VersionId }, tags, context, signal);
  completedUpload();
  return { ...result, etag: copyEtag, versionId: done.VersionId, parts: completed.length, uploadId, raw: done };
}

/** The stored headers HeadObject reports that a REPLACE copy or a multipart copy would otherwise drop. */
function storedHeaders(head: HeadObjectCommandOutput): Partial<CopyParams> {
  return definedOnly({
    ContentType: head.ContentType,
    Metadata: head.Metadata,
    CacheControl: head.CacheControl,
    ContentDisposition: head.ContentDisposition,
    ContentEncoding: head.ContentEncoding,
    ContentLanguage: head.ContentLanguage,
    Expires: head.Expires,
    WebsiteRedirectLocation: head.WebsiteRedirectLocation,
  });
}

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
