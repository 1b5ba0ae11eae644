import { constants as bufferLimits } from 'node:buffer';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type HeadObjectCommandInput,
} from '@aws-sdk/client-s3';
import { s3Error, type ErrorContext } from '../errors';
import type { UploadOutput } from '../events';
import type { ClientContext } from './context';
import { countRequestBody } from './counting-body';
import { ensureAbsent } from './if-none-match';
import { Crc32, crc32Of, sendsChecksums, withDigest } from './integrity';
import { tagCompleted } from './tags';
import type { PartSource } from './part-source';
import { PartCounter, type ProgressMeter } from './progress';
import type { SseCustomerFields } from './sse';
import type { WriteParams } from './upload-options';
import type { WorkIO } from './work';

const MiB = 1024 * 1024;
/** S3's limits for multipart uploads. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
/** The largest part rx-s3 makes: S3's 5 GiB, or less where Node's buffers end (a part is held in one buffer). */
export const LARGEST_PART = Math.min(MAX_PART_SIZE, bufferLimits.MAX_LENGTH);
export const DEFAULT_PART_SIZE = 8 * MiB;

/** What is written, and how. */
export interface UploadPlan {
  readonly bucket: string;
  readonly key: string;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  readonly contentType: string | undefined;
  readonly partSize: number;
  readonly concurrency: number;
  /** SDK fields for PutObject / CreateMultipartUpload (tags, SSE, IfNoneMatch...); typed fields above win. */
  readonly params?: WriteParams;
  /** SSE-C fields every later request on the upload carries (parts, Complete, HEAD). */
  readonly sseCustomer?: SseCustomerFields;
  /** Record the whole object's CRC32 in its metadata (`rxs3-crc32`), for downloads to verify. */
  readonly integrity: boolean;
  /**
   * The whole object's CRC32 when known before the upload (a file's, from a first reading): a multipart upload
   * needs it at CreateMultipartUpload, before the parts are read. Without it, a multipart upload records none.
   */
  readonly digest?: string;
}

/**
 * The size of part `partNumber` (1-based). With a known size, one size for all parts, grown so that no more than
 * 10,000 parts are needed. With an unknown size, the size doubles every 1,000 parts, so 10,000 parts reach about
 * 8 TiB from an 8 MiB start.
 */
export function partSizeFor(partNumber: number, requested: number, totalSize: number | undefined): number {
  if (totalSize !== undefined) {
    const needed = Math.ceil(totalSize / MAX_PARTS / MiB) * MiB;
    return Math.min(LARGEST_PART, Math.max(requested, needed));
  }
  return Math.min(LARGEST_PART, requested * 2 ** Math.floor((partNumber - 1) / 1000));
}

/**
 * Uploads everything `source` yields: one PutObject when it fits in one part, otherwise a multipart upload with
 * up to `concurrency` parts in flight. On failure or abort, waits for the parts in flight to settle, then rejects;
 * the multipart upload is registered with the builder's `hold` when created, so the builder aborts it (retried)
 * once the work settled, before the `Err`: no parts are stranded.
 */
export async function runUpload(
  ctx: ClientContext,
  plan: UploadPlan,
  source: PartSource,
  meter: ProgressMeter,
  signal: AbortSignal,
  hold: WorkIO<unknown>['hold'],
): Promise<UploadOutput> {
  const context: ErrorContext = { operation: 'upload', bucket: plan.bucket, key: plan.key };
  const target = { Bucket: plan.bucket, Key: plan.key };
  await ensureAbsent(ctx, { ...plan, ifNoneMatch: plan.params?.IfNoneMatch }, context, signal);
  meter.setTotal(source.size);
  meter.start();
  const firstSize = partSizeFor(1, plan.partSize, source.size);
  const first = (await source.next(firstSize)) ?? Buffer.alloc(0);
  signal.throwIfAborted();

  const fitsOnePart = source.size !== undefined ? source.size <= firstSize : first.length < firstSize;
  const sizeMismatch = (size: number) =>
    s3Error('Integrity', context, `the source gave ${size} bytes, not the ${source.size ?? '?'} announced; nothing was stored`);
  if (fitsOnePart) {
    if (source.size !== undefined && first.length !== source.size) throw sizeMismatch(first.length);
    const digest = plan.integrity ? crc32Of(first) : undefined;
    const command = new PutObjectCommand({ ...plan.params, ...target, Body: first, ContentLength: first.length, ContentType: plan.contentType, Metadata: withDigest(plan.metadata, digest) });
    countRequestBody(command, new PartCounter(meter));
    const put = await ctx.data.send(command, { abortSignal: signal });
    return { bucket: plan.bucket, key: plan.key, size: first.length, etag: put.ETag, versionId: put.VersionId, parts: 1, uploadId: undefined };
  }

  // Not aborted mid-flight: an upload the server created after we stopped listening would be stranded unseen.
  // With flexible checksums (the SDK's default on AWS), as lib-storage does and more: declare CRC32 as a
  // full-object checksum, send each part's CRC32 (computed here, so the SDK need not) and the whole object's at
  // Complete: the server verifies every part and the whole. `whole` runs over the parts in order (read in order).
  const flexible = await sendsChecksums(ctx.client);
  const whole = flexible ? new Crc32() : undefined;
  const created = await ctx.client.send(new CreateMultipartUploadCommand({
    ...plan.params,
    ...target,
    ContentType: plan.contentType,
    Metadata: withDigest(plan.metadata, plan.integrity ? plan.digest : undefined),
    ...(flexible ? { ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' } : {}),
  }));
  const uploadId = created.UploadId;
  if (uploadId === undefined) throw s3Error('ServiceError', context, 'CreateMultipartUpload answered no UploadId');
  const completedUpload = holdUpload(hold, ctx, plan, uploadId);
  signal.throwIfAborted();

  // One controller for the parts: a failed part stops its siblings, and so does the caller's abort.
  const parts = new AbortController();
  const stopParts = (): void => parts.abort(signal.reason);
  signal.addEventListener('abort', stopParts, { once: true });
  const inFlight = new Set<Promise<void>>();
  try {
    const completed: CompletedPart[] = [];
    let failure: { cause: unknown } | undefined;
    let size = 0;
    let partNumber = 1;
    let body: Buffer | undefined = first;
    while (body !== undefined && failure === undefined && !parts.signal.aborted) {
      if (partNumber > MAX_PARTS) throw s3Error('InvalidInput', context, `the data needs more than ${MAX_PARTS} parts; raise partSize`);
      const number = partNumber;
      size += body.length;
      const partCrc32 = flexible ? crc32Of(body) : undefined;
      whole?.update(body);
      const command = new UploadPartCommand({ ...plan.sseCustomer, ...target, UploadId: uploadId, PartNumber: number, Body: body, ContentLength: body.length, ChecksumCRC32: partCrc32 });
      countRequestBody(command, new PartCounter(meter));
      const part = body;
      const sent: Promise<void> = ctx.data.send(command, { abortSignal: parts.signal }).then(
        (answer) => {
          completed[number - 1] = { PartNumber: number, ETag: answer.ETag, ...(partCrc32 === undefined ? {} : { ChecksumCRC32: partCrc32 }) };
          source.release(part); // sent and answered: nothing reads it any more
        },
        (cause: unknown) => {
          // Not released: an aborted request may still be writing it, and no further part will be read.
          failure ??= { cause };
          parts.abort(cause);
        },
      );
      inFlight.add(sent);
      void sent.then(() => inFlight.delete(sent));
      if (inFlight.size >= plan.concurrency) await Promise.race(inFlight);
      partNumber += 1;
      body = failure === undefined && !parts.signal.aborted ? await source.next(partSizeFor(partNumber, plan.partSize, source.size)) : undefined;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.cause;
    signal.throwIfAborted();
    if (source.size !== undefined && size !== source.size) throw sizeMismatch(size);
    const wholeCrc32 = whole?.base64();
    if (wholeCrc32 !== undefined && plan.digest !== undefined && wholeCrc32 !== plan.digest) {
      throw s3Error('Integrity', context, 'the source changed while it was uploaded (its CRC32 differs from the first reading); nothing was stored');
    }

    const done = await ctx.client.send(
      new CompleteMultipartUploadCommand({
        ...plan.sseCustomer,
        IfNoneMatch: plan.params?.IfNoneMatch,
        ...target,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
        ...(wholeCrc32 === undefined ? {} : { ChecksumCRC32: wholeCrc32, ChecksumType: 'FULL_OBJECT' }),
      }),
      { abortSignal: signal },
    );
    // Some servers (Ceph RGW) answer an empty ETag here; HeadObject has the right one. The object is stored
    // whatever that HEAD answers (write-only credentials get 403): its failure leaves the ETag unknown, no more.
    const etag = done.ETag !== undefined && done.ETag !== '' ? done.ETag : await completedEtag(ctx, { ...plan.sseCustomer, ...target }, signal);
    await tagCompleted(ctx, { bucket: plan.bucket, key: plan.key, versionId: done.VersionId }, plan.params?.Tagging, context, signal);
    completedUpload();
    return { bucket: plan.bucket, key: plan.key, size, etag, versionId: done.VersionId, parts: completed.length, uploadId };
  } catch (cause) {
    // The source failed or was stopped while parts were in flight: let them settle (they are aborted with the
    // rest) before the work settles and its release aborts the upload, so no part reaches the server after
    // AbortMultipartUpload.
    parts.abort(cause);
    await Promise.allSettled(inFlight);
    throw cause;
  } finally {
    signal.removeEventListener('abort', stopParts);
  }
}

/** The ETag of an object just completed, from HeadObject; undefined when that HEAD fails. */
async function completedEtag(ctx: ClientContext, target: HeadObjectCommandInput, signal: AbortSignal): Promise<string | undefined> {
  return ctx.data.send(new HeadObjectCommand(target), { abortSignal: signal }).then((head) => head.ETag, () => undefined);
}

/**
 * The failure path of every multipart write (uploads and copies), registered with the Observable builder's `hold`
 * as soon as the upload exists: when the work settles without having called the returned function (failure,
 * unsubscribe, deadline), the builder aborts the upload (retried) before it emits the `Err`; if that abort fails
 * too, the `Err`'s message says the parts may remain. Call the returned function once the upload is completed.
 */
export function holdUpload(hold: WorkIO<unknown>['hold'], ctx: ClientContext, plan: Pick<UploadPlan, 'bucket' | 'key'>, uploadId: string): () => void {
  return hold(async () => {
    if (!(await abortUpload(ctx, plan, uploadId))) {
      throw s3Error('ServiceError', { operation: 'abortMultipartUpload', bucket: plan.bucket, key: plan.key }, `aborting multipart upload ${uploadId} failed too: its parts may remain until a lifecycle rule removes them`);
    }
  });
}

/**
 * AbortMultipartUpload, retried with back-off: it must not be lost to one dropped connection. True when the
 * upload is gone (aborted now, or already).
 */
async function abortUpload(ctx: ClientContext, plan: Pick<UploadPlan, 'bucket' | 'key'>, uploadId: string): Promise<boolean> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await ctx.client.send(new AbortMultipartUploadCommand({ Bucket: plan.bucket, Key: plan.key, UploadId: uploadId }), {
        abortSignal: AbortSignal.timeout(30_000),
      });
      return true;
    } catch (cause) {
      if ((cause as { name?: unknown }).name === 'NoSuchUpload') return true;
      if (attempt >= 4) return false;
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}
