import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { expect } from 'chai';
import { PutObjectCommand, UploadPartCommand, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import type { Result, S3Error } from '../../lib';
import { abortedUploadId, bytes, collect, commandNames, expectRejectedLocally, interceptSend, spySend, useBucket } from '../support/fixtures';
import { server } from '../support/server';
import { crc32Of } from '../../lib/internal/integrity';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
/** The embedded server answers UploadPartCopy with 500: multipart copies are proven on a real server (Ceph). */
const REAL_SERVER_ONLY = 'needs UploadPartCopy (the embedded server answers it with 500; runs on Ceph)';
const kinds = (results: ReadonlyArray<Result<{ kind: string }, S3Error>>): string[] =>
  results.map((r) => (r.ok ? r.val.kind : `err:${r.val.kind}`)).filter((k) => k !== 'progress');

describe('copyObject and moveObject above the multipart threshold (UploadPartCopy)', () => {
  const fx = useBucket('mpcopy');
  const data = bytes(2 * PART + 1, 13);
  const needsRealServer = function (this: Mocha.Context): void {
    if (server().kind === 'embedded') {
      this.test!.title += ` [skipped: ${REAL_SERVER_ONLY}]`;
      this.skip();
    }
  };

  before(async () => {
    await collect(fx.rx.putObject(fx.bucket, 'big', data, { contentType: 'application/x-rx-test', metadata: { color: 'blue' }, tags: { team: 'data' }, params: { CacheControl: 'max-age=60' } }));
  });

  it('copies in parallel parts, keeps content type, metadata, headers and tags, and ticks like a transfer', async function () {
    needsRealServer.call(this);
    const spy = spySend(fx.rx);
    let results;
    try {
      results = await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'big' }, { bucket: fx.bucket, key: 'big-copy' }, { multipartThreshold: PART, partSize: PART, progressInterval: 0 }));
      const names = commandNames(spy);
      expect(names.filter((n) => n === 'UploadPartCopyCommand')).to.have.length(3);
      expect(names).to.include.members(['HeadObjectCommand', 'CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand']);
      expect(names).to.not.include('CopyObjectCommand');
      // Every part is pinned to the source's ETag.
      const pinned = spy.getCalls().filter((c) => c.args[0] instanceof UploadPartCopyCommand).map((c) => (c.args[0] as UploadPartCopyCommand).input.CopySourceIfMatch);
      expect(new Set(pinned).size).to.equal(1);
      expect(pinned[0]).to.be.a('string');
    } finally {
      spy.restore();
    }
    const ticks = results.flatMap((r) => (r.ok && r.val.kind === 'progress' ? [r.val.transferredBytes] : []));
    expect(ticks[0]).to.equal(0);
    expect(ticks.at(-1)).to.equal(data.length);
    expect(ticks).to.deep.equal([...ticks].sort((a, b) => a - b));
    const last = results.at(-1)!.unwrap();
    expect(last.kind === 'complete' && last.output).to.include({ parts: 3, size: data.length, key: 'big-copy' });
    expect(last.kind === 'complete' && last.output.uploadId).to.be.a('string');

    const [got] = await collect(fx.rx.getObject(fx.bucket, 'big-copy'));
    const copy = got!.unwrap();
    expect(sha(await buffer(copy.body))).to.equal(sha(data));
    expect(copy.contentType).to.equal('application/x-rx-test');
    // The source's metadata, its integrity digest included (the bytes are the same).
    expect(copy.metadata).to.deep.equal({ color: 'blue', 'rxs3-crc32': crc32Of(data) });
    expect(copy.raw.CacheControl).to.equal('max-age=60');
    const [tags] = await collect(fx.rx.getObjectTagging(fx.bucket, 'big-copy'));
    expect(tags!.unwrap().tags).to.deep.equal({ team: 'data' });
  });

  it('replaces content type, metadata and tags when asked', async function () {
    needsRealServer.call(this);
    const options = { multipartThreshold: PART, contentType: 'text/x-new', metadata: { color: 'red' }, tags: { team: 'web' } };
    expect(kinds(await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'big' }, { bucket: fx.bucket, key: 'replaced' }, options)))).to.deep.equal(['complete']);
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'replaced'));
    expect(head!.unwrap()).to.deep.include({ contentType: 'text/x-new', metadata: { color: 'red' }, contentLength: data.length });
    const [tags] = await collect(fx.rx.getObjectTagging(fx.bucket, 'replaced'));
    expect(tags!.unwrap().tags).to.deep.equal({ team: 'web' });
  });

  // The parts are pinned with x-amz-copy-source-if-match; Ceph 16 ignores it there, so the copy also checks the
  // source's ETag again before CompleteMultipartUpload. Same size: a range check cannot catch this overwrite.
  it('a source overwritten during the copy fails it (PreconditionFailed) and the multipart upload is aborted', async function () {
    needsRealServer.call(this);
    await collect(fx.rx.putObject(fx.bucket, 'changing', data));
    let uploadId: string | undefined;
    let overwritten = false;
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof UploadPartCopyCommand) {
        uploadId = command.input.UploadId;
        if (!overwritten) {
          overwritten = true;
          await send(new PutObjectCommand({ Bucket: fx.bucket, Key: 'changing', Body: bytes(data.length, 99) }));
        }
      }
      return send(command, options);
    });
    let results;
    try {
      results = await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'changing' }, { bucket: fx.bucket, key: 'never' }, { multipartThreshold: PART, concurrency: 1 }));
      expect(commandNames(stub)).to.include('AbortMultipartUploadCommand');
      expect(commandNames(stub)).to.not.include('CompleteMultipartUploadCommand');
    } finally {
      stub.restore();
    }
    expect(kinds(results)).to.deep.equal(['err:PreconditionFailed']);
    await expectNoUpload('never', uploadId);
  });

  it('unsubscribing mid-copy aborts the multipart upload; nothing is emitted after', async function () {
    needsRealServer.call(this);
    const spy = spySend(fx.rx);
    const seen: unknown[] = [];
    let uploadId: string | undefined;
    try {
      await new Promise<void>((resolve) => {
        const subscription = fx.rx
          .copyObject({ bucket: fx.bucket, key: 'big' }, { bucket: fx.bucket, key: 'cancelled' }, { multipartThreshold: PART, concurrency: 1, progressInterval: 0 })
          .subscribe((r) => {
            seen.push(r);
            if (r.ok && r.val.kind === 'progress' && r.val.transferredBytes > 0) {
              subscription.unsubscribe();
              resolve();
            }
          });
      });
      const count = seen.length;
      await fx.rx.flushCleanups();
      expect(seen).to.have.length(count);
      uploadId = await abortedUploadId(spy);
    } finally {
      spy.restore();
    }
    await expectNoUpload('cancelled', uploadId);
  });

  it('moveObject above the threshold: progress, copied (verified), deleted', async function () {
    needsRealServer.call(this);
    await collect(fx.rx.putObject(fx.bucket, 'to-move', data));
    const events = await collect(fx.rx.moveObject({ bucket: fx.bucket, key: 'to-move' }, { bucket: fx.bucket, key: 'moved' }, { multipartThreshold: PART, partSize: PART }));
    expect(kinds(events)).to.deep.equal(['copied', 'deleted']);
    expect(events.some((e) => e.ok && e.val.kind === 'progress' && e.val.transferredBytes === data.length)).to.equal(true);
    const copied = events.find((e) => e.ok && e.val.kind === 'copied')!.unwrap();
    // A copy in parts gets a new "-N" ETag: verified against the copy's answer, not the source's ETag.
    expect(copied.kind === 'copied' && copied.verified.targetEtag).to.match(/-3"$/);
    const [gone] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'to-move'));
    expect(gone!.err && gone!.val.kind).to.equal('NoSuchKey');
  });

  it('on the embedded server a multipart copy fails as one Err and aborts its upload (UploadPartCopy answers 500)', async function () {
    if (server().kind !== 'embedded') this.skip();
    let uploadId: string | undefined;
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof UploadPartCopyCommand) uploadId = command.input.UploadId;
      return send(command, options);
    });
    let results;
    try {
      // tags: {} (none), as the embedded server cannot answer GetObjectTagging for the source's tags either.
      results = await collect(fx.rx.copyObject({ bucket: fx.bucket, key: 'big' }, { bucket: fx.bucket, key: 'fails' }, { multipartThreshold: PART, tags: {} }));
    } finally {
      stub.restore();
    }
    expect(results.at(-1)!.err).to.equal(true);
    expect(results.slice(0, -1).every((r) => r.ok && r.val.kind === 'progress')).to.equal(true);
    await expectNoUpload('fails', uploadId);
  });

  it('rejects thresholds and part sizes out of range before any request', async () => {
    const src = { bucket: fx.bucket, key: 'big' };
    const dst = { bucket: fx.bucket, key: 'x' };
    await expectRejectedLocally(fx.rx, 'InvalidInput', [
      fx.rx.copyObject(src, dst, { multipartThreshold: 6 * 1024 * MiB }),
      fx.rx.copyObject(src, dst, { partSize: MiB }),
      fx.rx.copyObject(src, dst, { concurrency: 0 }),
      fx.rx.copyObject({ ...src, versionId: '' }, dst),
      fx.rx.moveObject(src, dst, { partSize: 6 * 1024 * MiB }),
    ]);
  });

  /** The upload is gone (UploadPart on it: NoSuchUpload) and the target does not exist. */
  async function expectNoUpload(key: string, uploadId: string | undefined): Promise<void> {
    expect(uploadId).to.be.a('string');
    const probe = await fx.rx.client
      .send(new UploadPartCommand({ Bucket: fx.bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: Buffer.from('x') }))
      .then(() => 'accepted', (e: { name?: string }) => e.name);
    expect(probe).to.equal('NoSuchUpload');
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, key));
    expect(head!.err && head!.val.kind).to.equal('NoSuchKey');
  }
});
