import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { UploadPartCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import sinon from 'sinon';
import type { RxS3 } from '../../lib';
import { bytes, collect, useBucket, useTempDir } from '../support/fixtures';
import { makeClient } from '../support/server';

const MiB = 1024 * 1024;
const ERROR_XML = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>r1</RequestId></Error>';

interface WireRequest {
  readonly method: string;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/**
 * Fault injection at the HTTP handler: the first `times` requests that `matches` are answered by a fake
 * `200 OK` with `body` (S3's way of failing a CompleteMultipartUpload or a CopyObject after it began), without
 * reaching the server. Returns how many requests matched in all, faked or not.
 */
function answer200(rx: RxS3, matches: (request: WireRequest) => boolean, body: string, times: number): { seen: () => number; restore: () => void } {
  const handler = rx.client.config.requestHandler as { handle: (request: WireRequest, options?: unknown) => Promise<unknown> };
  const real = handler.handle.bind(handler);
  let seen = 0;
  const stub = sinon.stub(handler, 'handle').callsFake(async (request: WireRequest, options?: unknown) => {
    if (!matches(request)) return real(request, options);
    seen += 1;
    if (seen > times) return real(request, options);
    return { response: { statusCode: 200, reason: 'OK', headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(body)]) } };
  });
  return { seen: () => seen, restore: () => stub.restore() };
}

const isComplete = (r: WireRequest): boolean => r.method === 'POST' && 'uploadId' in r.query;
const isCopy = (r: WireRequest): boolean => r.method === 'PUT' && 'x-amz-copy-source' in r.headers;

describe("S3's 200-with-an-error-body answers", () => {
  const fx = useBucket('errbody');
  const dir = useTempDir();
  let rx: RxS3;
  before(() => {
    rx = makeClient({ maxAttempts: 3 });
  });
  after(() => rx.destroy());

  const uploadSource = async (name: string): Promise<{ path: string; data: Buffer }> => {
    const data = bytes(6 * MiB, name.length);
    const path = join(dir.path, name);
    await writeFile(path, data);
    return { path, data };
  };

  for (const [label, body] of [['an error body', ERROR_XML], ['an empty body', '']] as const) {
    it(`CompleteMultipartUpload answered 200 with ${label} once is retried (the SDK makes it a 503) and ends Ok with the right bytes`, async () => {
      const { path, data } = await uploadSource(`complete-once-${body.length}`);
      const fault = answer200(rx, isComplete, body, 1);
      let results;
      try {
        results = await collect(rx.uploadFile(fx.bucket, `complete-once-${body.length}`, path, { partSize: 5 * MiB }));
      } finally {
        fault.restore();
      }
      expect(fault.seen(), 'Complete requests').to.equal(2);
      expect(results[results.length - 1]!.ok).to.equal(true);
      const [got] = await collect(rx.getObject(fx.bucket, `complete-once-${body.length}`));
      expect(got!.ok && (await buffer(got!.val.body)).equals(data)).to.equal(true);
    });
  }

  it('CompleteMultipartUpload answered 200-with-error on every attempt is one Err, never Ok; the upload is aborted', async () => {
    const { path } = await uploadSource('complete-always');
    const fault = answer200(rx, isComplete, ERROR_XML, Infinity);
    let results;
    let uploadId: string | undefined;
    const spy = sinon.spy(rx.client, 'send');
    try {
      results = await collect(rx.uploadFile(fx.bucket, 'complete-always', path, { partSize: 5 * MiB }));
      uploadId = spy.getCalls().map((c) => (c.args[0] as { input: { UploadId?: string } }).input.UploadId).find((id) => id !== undefined);
    } finally {
      spy.restore();
      fault.restore();
    }
    expect(fault.seen(), 'Complete attempts').to.equal(3);
    const last = results[results.length - 1]!;
    expect(last.err && last.val).to.include({ code: 'InternalError', status: 503 });
    expect(results.some((r) => r.ok && r.val.kind === 'complete')).to.equal(false);
    const probe = await rx.client
      .send(new UploadPartCommand({ Bucket: fx.bucket, Key: 'complete-always', UploadId: uploadId, PartNumber: 1, Body: Buffer.from('x') }))
      .then(() => 'accepted', (e: { name?: string }) => e.name);
    expect(probe).to.equal('NoSuchUpload');
  });

  it('CopyObject answered 200-with-error: retried, then Err; a move keeps its source', async () => {
    await collect(rx.putObject(fx.bucket, 'copy-src', 'source bytes'));
    const once = answer200(rx, isCopy, ERROR_XML, 1);
    try {
      const copied = (await collect(rx.copyObject({ bucket: fx.bucket, key: 'copy-src' }, { bucket: fx.bucket, key: 'copy-once' }))).at(-1);
      expect(copied!.ok).to.equal(true);
    } finally {
      once.restore();
    }
    const always = answer200(rx, isCopy, ERROR_XML, Infinity);
    try {
      const copied = (await collect(rx.copyObject({ bucket: fx.bucket, key: 'copy-src' }, { bucket: fx.bucket, key: 'copy-never' }))).at(-1);
      expect(copied!.err && copied!.val.code).to.equal('InternalError');
      const moved = await collect(rx.moveObject({ bucket: fx.bucket, key: 'copy-src' }, { bucket: fx.bucket, key: 'move-never' }));
      expect(moved.filter((r) => r.err)).to.have.length(1);
      expect(moved.at(-1)!.err).to.equal(true);
    } finally {
      always.restore();
    }
    const [source] = await collect(rx.getObjectMetadata(fx.bucket, 'copy-src'));
    expect(source!.ok, 'the source is still there').to.equal(true);
  });

  it('an object whose content is error XML is just content: put, get, download, stream, copy, multipart', async () => {
    const [put] = await collect(rx.putObject(fx.bucket, 'looks-like-error.xml', ERROR_XML, { contentType: 'application/xml' }));
    expect(put!.ok).to.equal(true);
    const [got] = await collect(rx.getObject(fx.bucket, 'looks-like-error.xml'));
    expect(got!.ok && (await text(got!.val.body))).to.equal(ERROR_XML);
    const target = join(dir.path, 'error.xml');
    const [down] = (await collect(rx.downloadFile(fx.bucket, 'looks-like-error.xml', target))).slice(-1);
    expect(down!.ok).to.equal(true);
    expect(await readFile(target, 'utf8')).to.equal(ERROR_XML);
    const chunks = (await collect(rx.downloadStream(fx.bucket, 'looks-like-error.xml'))).flatMap((r) => (r.ok && r.val.kind === 'data' ? [r.val.chunk] : []));
    expect(Buffer.concat(chunks).toString()).to.equal(ERROR_XML);
    const copy = (await collect(rx.copyObject({ bucket: fx.bucket, key: 'looks-like-error.xml' }, { bucket: fx.bucket, key: 'copy-of-error.xml' }))).at(-1);
    expect(copy!.ok).to.equal(true);
    // A multipart object that ends in </Error> (the SDK looks at a 200 answer's last 16 bytes).
    const big = Buffer.concat([bytes(6 * MiB, 3), Buffer.from(ERROR_XML)]);
    const [up] = (await collect(rx.uploadStream(fx.bucket, 'big-error.xml', Readable.from([big]), { partSize: 5 * MiB }))).slice(-1);
    expect(up!.ok).to.equal(true);
    const bigTarget = join(dir.path, 'big-error.xml');
    const [bigDown] = (await collect(rx.downloadFile(fx.bucket, 'big-error.xml', bigTarget, { partSize: 5 * MiB }))).slice(-1);
    expect(bigDown!.ok).to.equal(true);
    expect((await readFile(bigTarget)).equals(big)).to.equal(true);
  });
});
