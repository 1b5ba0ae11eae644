/**
 * Smoke test of the sink against the raw SDK: `node --import tsx bench/sink-check.ts [--size MiB]`.
 * Starts its own sink, exercises every route the benchmarks rely on, exits non-zero on the first failure.
 */
import {
  AbortMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteBucketCommand,
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, PutObjectTaggingCommand, S3Client, type S3ClientConfig, S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { startSink, tempPath, writeSourceFile } from './lib/env';

async function bodyLength(body: unknown): Promise<number> {
  let n = 0;
  for await (const chunk of body as Readable) n += (chunk as Buffer).length;
  return n;
}

async function expectStatus(p: Promise<unknown>, status: number, code?: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof S3ServiceException, `expected an S3 error ${status}, got ${String(err)}`);
  assert.equal(err.$metadata.httpStatusCode, status);
  if (code) assert.equal(err.name, code);
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { values } = parseArgs({ options: { size: { type: 'string', default: '300' } } });
  const size = Number(values.size) * 1024 * 1024;
  const sink = await startSink();
  const file = tempPath('check');
  await writeSourceFile(file, size);
  const options: S3ClientConfig = {
    endpoint: sink.endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const s3 = new S3Client(options);
  const step = async (name: string, fn: () => Promise<void>): Promise<void> => {
    const t = performance.now();
    await fn();
    console.log(`ok  ${name} (${(performance.now() - t).toFixed(0)} ms)`);
  };
  try {
    await step('CreateBucket / HeadBucket', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'check' }));
      await s3.send(new HeadBucketCommand({ Bucket: 'check' }));
    });
    await step('PutObject + HeadObject', async () => {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'check', Key: 'dir/small.txt', Body: 'hello sink' }));
      assert.match(put.ETag ?? '', /^"[0-9a-f]{32}"$/);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'check', Key: 'dir/small.txt' }));
      assert.equal(head.ContentLength, 10);
      assert.equal(head.ETag, put.ETag);
    });
    await step('PutObject aws-chunked with a CRC32 trailer (WHEN_SUPPORTED client)', async () => {
      const chunked = new S3Client({ ...options, requestChecksumCalculation: 'WHEN_SUPPORTED', responseChecksumValidation: 'WHEN_SUPPORTED' });
      const body = createReadStream(file, { end: 3 * 1024 * 1024 - 1 });
      await chunked.send(new PutObjectCommand({ Bucket: 'check', Key: 'chunked', Body: body, ContentLength: 3 * 1024 * 1024 }));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'check', Key: 'chunked' }));
      assert.equal(head.ContentLength, 3 * 1024 * 1024);
      chunked.destroy();
    });
    await step(`lib-storage Upload ${values.size} MiB`, async () => {
      const up = new Upload({ client: s3, params: { Bucket: 'check', Key: 'big', Body: createReadStream(file) } });
      const out = await up.done();
      assert.match(out.ETag ?? '', /-\d+"$/);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'check', Key: 'big' }));
      assert.equal(head.ContentLength, size);
    });
    await step('GetObject whole uploaded object', async () => {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'check', Key: 'big' }));
      assert.equal(await bodyLength(got.Body), size);
    });
    await step('GetObject Range + If-Match', async () => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'check', Key: 'size-5000000' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'check', Key: 'size-5000000', Range: 'bytes=100-1048675', IfMatch: head.ETag }));
      assert.equal(got.ContentRange, 'bytes 100-1048675/5000000');
      assert.equal(await bodyLength(got.Body), 1048576);
      const tail = await s3.send(new GetObjectCommand({ Bucket: 'check', Key: 'size-5000000', Range: 'bytes=-10' }));
      assert.equal(await bodyLength(tail.Body), 10);
      await expectStatus(s3.send(new GetObjectCommand({ Bucket: 'check', Key: 'size-5000000', IfMatch: '"nope"' })), 412, 'PreconditionFailed');
      await expectStatus(s3.send(new GetObjectCommand({ Bucket: 'check', Key: 'size-5000000', Range: 'bytes=6000000-' })), 416, 'InvalidRange');
    });
    await step('ListObjectsV2 / DeleteObject / NoSuchKey', async () => {
      const list = await s3.send(new ListObjectsV2Command({ Bucket: 'check', Prefix: 'dir/' }));
      assert.deepEqual(list.Contents?.map((c) => [c.Key, c.Size]), [['dir/small.txt', 10]]);
      await s3.send(new DeleteObjectCommand({ Bucket: 'check', Key: 'dir/small.txt' }));
      await expectStatus(s3.send(new HeadObjectCommand({ Bucket: 'check', Key: 'dir/small.txt' })), 404);
      await expectStatus(s3.send(new GetObjectCommand({ Bucket: 'check', Key: 'dir/small.txt' })), 404, 'NoSuchKey');
    });
    await step('AbortMultipartUpload / unknown request / DeleteBucket', async () => {
      const mp = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'check', Key: 'aborted' }));
      await s3.send(new AbortMultipartUploadCommand({ Bucket: 'check', Key: 'aborted', UploadId: mp.UploadId }));
      await expectStatus(s3.send(new PutObjectTaggingCommand({ Bucket: 'check', Key: 'big', Tagging: { TagSet: [] } })), 501, 'NotImplemented');
      await s3.send(new DeleteBucketCommand({ Bucket: 'check' }));
    });
    console.log('sink stats:', JSON.stringify(await sink.stats()));
  } finally {
    s3.destroy();
    await rm(file, { force: true });
    await sink.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
