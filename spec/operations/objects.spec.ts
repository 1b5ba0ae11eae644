import { text } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { RxS3 } from '../../lib';
import { collect, commandNames, expectRejectedLocally, spySend, useBucket } from '../support/fixtures';
import { crc32Of } from '../../lib/internal/integrity';
import { makeClient } from '../support/server';

describe('object operations: putObject, getObject, getObjectMetadata, deleteObject', () => {
  const fx = useBucket('objects');

  it('putObject then getObject round-trips body, content type and metadata', async () => {
    const put = await collect(fx.rx.putObject(fx.bucket, 'hello.txt', 'Hello, S3', { contentType: 'text/plain', metadata: { owner: 'ada' } }));
    expect(put).to.have.length(1);
    expect(put[0]!.unwrap()).to.include({ bucket: fx.bucket, key: 'hello.txt' });
    expect(put[0]!.unwrap().etag).to.match(/^"[0-9a-f]{32}"$/);

    const got = await collect(fx.rx.getObject(fx.bucket, 'hello.txt'));
    expect(got).to.have.length(1);
    const value = got[0]!.unwrap();
    expect(await text(value.body)).to.equal('Hello, S3');
    expect(value).to.include({ contentLength: 9, contentType: 'text/plain', etag: put[0]!.unwrap().etag });
    expect(value.metadata).to.deep.equal({ owner: 'ada', 'rxs3-crc32': crc32Of(Buffer.from('Hello, S3')) });
  });

  it('putObject accepts bytes, an empty body, and a stream with contentLength', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'bytes', Buffer.from([0, 1, 2, 255])));
    await collect(fx.rx.putObject(fx.bucket, 'empty', ''));
    await collect(fx.rx.putObject(fx.bucket, 'stream', Readable.from([Buffer.from('ab'), Buffer.from('cd')]), { contentLength: 4 }));
    const sizes = await Promise.all(['bytes', 'empty', 'stream'].map(async (key) => (await collect(fx.rx.getObjectMetadata(fx.bucket, key)))[0]!.unwrap().contentLength));
    expect(sizes).to.deep.equal([4, 0, 4]);
  });

  it('putObject with checksum MD5 and SHA256 is accepted', async () => {
    for (const checksum of ['MD5', 'SHA256', 'CRC32'] as const) {
      const [put] = await collect(fx.rx.putObject(fx.bucket, `sum-${checksum}`, 'checked body', { checksum }));
      expect(put!.ok, `${checksum}: ${put!.err ? put!.val.message : ''}`).to.equal(true);
    }
  });

  it('putObject rejects a stream without contentLength, a stream with checksum, and bad metadata before sending', async () => {
    await expectRejectedLocally(fx.rx, 'InvalidInput', [
      fx.rx.putObject(fx.bucket, 'k', Readable.from(['x'])),
      fx.rx.putObject(fx.bucket, 'k', Readable.from(['x']), { contentLength: 1, checksum: 'MD5' }),
      fx.rx.putObject(fx.bucket, 'k', 'x', { metadata: { 'bad name': 'v' } }),
      fx.rx.putObject(fx.bucket, 'k', 'x', { metadata: { ok: 'caf\u00e9' } }),
    ]);
  });

  it('getObject with a range returns just those bytes', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'digits', '0123456789'));
    const [middle] = await collect(fx.rx.getObject(fx.bucket, 'digits', { range: { start: 2, end: 4 } }));
    expect(await text(middle!.unwrap().body)).to.equal('234');
    expect(middle!.unwrap().contentRange).to.equal('bytes 2-4/10');
    const [tail] = await collect(fx.rx.getObject(fx.bucket, 'digits', { range: { start: 7 } }));
    expect(await text(tail!.unwrap().body)).to.equal('789');
    const [suffix] = await collect(fx.rx.getObject(fx.bucket, 'digits', { range: { suffix: 3 } }));
    expect(await text(suffix!.unwrap().body)).to.equal('789');
  });

  it('getObject rejects a nonsense range before sending', async () => {
    const [bad] = await collect(fx.rx.getObject(fx.bucket, 'digits', { range: { start: 5, end: 2 } }));
    expect(bad!.err && bad!.val.kind).to.equal('InvalidInput');
  });

  it('getObject and getObjectMetadata of a missing key are Err(NoSuchKey) with status 404', async () => {
    const [got] = await collect(fx.rx.getObject(fx.bucket, 'nope'));
    expect(got!.err && got!.val).to.include({ kind: 'NoSuchKey', operation: 'getObject', bucket: fx.bucket, key: 'nope', status: 404 });
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'nope'));
    expect(head!.err && head!.val).to.include({ kind: 'NoSuchKey', operation: 'getObjectMetadata', status: 404 });
    expect(head!.err && head!.val.message).to.equal(`s3://${fx.bucket}/nope does not exist`);
  });

  it('operations on a missing bucket are Err(NoSuchBucket)', async () => {
    const [put] = await collect(fx.rx.putObject('rxs3-no-such-bucket-1b7', 'k', 'v'));
    expect(put!.err && put!.val.kind).to.equal('NoSuchBucket');
    const [got] = await collect(fx.rx.getObject('rxs3-no-such-bucket-1b7', 'k'));
    expect(got!.err && got!.val.kind).to.equal('NoSuchBucket');
  });

  it('getObject with ifMatch of another ETag is Err(PreconditionFailed)', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'pinned', 'v1'));
    const [got] = await collect(fx.rx.getObject(fx.bucket, 'pinned', { ifMatch: '"00000000000000000000000000000000"' }));
    expect(got!.err && got!.val).to.include({ kind: 'PreconditionFailed', status: 412 });
  });

  it('getObject: unsubscribing before the answer aborts the request, emits nothing and leaves no body open', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'cancel-me', 'x'.repeat(1000)));
    const spy = spySend(fx.rx);
    try {
      const seen: unknown[] = [];
      const subscription = fx.rx.getObject(fx.bucket, 'cancel-me').subscribe({ next: (v) => seen.push(v), error: (e) => seen.push(e) });
      subscription.unsubscribe();
      expect((spy.firstCall.args[1] as { abortSignal: AbortSignal }).abortSignal.aborted).to.equal(true);
      await spy.firstCall.returnValue.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).to.be.empty;
    } finally {
      spy.restore();
    }
  });

  it('getObjectMetadata reads size, type, ETag and metadata', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'meta', 'abc', { contentType: 'application/json', metadata: { a: '1' } }));
    const results = await collect(fx.rx.getObjectMetadata(fx.bucket, 'meta'));
    expect(results).to.have.length(1);
    expect(results[0]!.unwrap()).to.include({ contentLength: 3, contentType: 'application/json', fromCache: false });
    expect(results[0]!.unwrap().metadata).to.deep.equal({ a: '1', 'rxs3-crc32': crc32Of(Buffer.from('abc')) });
  });

  it('deleteObject removes the key; deleting a missing key succeeds, as on S3', async () => {
    await collect(fx.rx.putObject(fx.bucket, 'doomed', 'x'));
    const deleted = await collect(fx.rx.deleteObject(fx.bucket, 'doomed'));
    expect(deleted).to.have.length(1);
    expect(deleted[0]!.unwrap()).to.include({ bucket: fx.bucket, key: 'doomed' });
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'doomed'));
    expect(head!.err && head!.val.kind).to.equal('NoSuchKey');
    const [again] = await collect(fx.rx.deleteObject(fx.bucket, 'doomed'));
    expect(again!.ok).to.equal(true);
  });

  for (const [label, key] of [
    ['empty', ''],
    ['over 1,024 bytes', 'k'.repeat(1025)],
    ['1,024 bytes of multi-byte letters', '\u00e9'.repeat(513)],
  ] as const) {
    it(`rejects a ${label} key as InvalidInput in every object operation, without a request`, async () => {
      await expectRejectedLocally(fx.rx, 'InvalidInput', [
        fx.rx.putObject(fx.bucket, key, 'x'),
        fx.rx.getObject(fx.bucket, key),
        fx.rx.getObjectMetadata(fx.bucket, key),
        fx.rx.deleteObject(fx.bucket, key),
        fx.rx.copyObject({ bucket: fx.bucket, key }, { bucket: fx.bucket, key: 'b' }),
        fx.rx.copyObject({ bucket: fx.bucket, key: 'a' }, { bucket: fx.bucket, key }),
        fx.rx.moveObject({ bucket: fx.bucket, key }, { bucket: fx.bucket, key: 'b' }),
        fx.rx.deleteObjects(fx.bucket, ['fine', key]),
        fx.rx.generatePresignedUrl('GET', fx.bucket, key),
        fx.rx.uploadFile(fx.bucket, key, __filename),
        fx.rx.downloadFile(fx.bucket, key, '/tmp/never'),
        fx.rx.downloadStream(fx.bucket, key),
      ]);
    });
  }

  it('accepts a key of exactly 1,024 bytes', async () => {
    const key = 'k'.repeat(1024);
    const [put] = await collect(fx.rx.putObject(fx.bucket, key, 'x'));
    expect(put!.ok).to.equal(true);
  });
});

describe('getObjectMetadata cache', () => {
  const fx = useBucket('cache');
  let rx: RxS3;
  before(() => {
    rx = makeClient({ metadataCache: { maxEntries: 2, ttlMs: 60_000 } });
  });
  after(() => rx.destroy());

  it('answers from the cache on a hit (no request), and only when asked to', async () => {
    await collect(rx.putObject(fx.bucket, 'c1', 'one'));
    const spy = spySend(rx);
    try {
      const [first] = await collect(rx.getObjectMetadata(fx.bucket, 'c1', { cache: true }));
      const [second] = await collect(rx.getObjectMetadata(fx.bucket, 'c1', { cache: true }));
      const [uncached] = await collect(rx.getObjectMetadata(fx.bucket, 'c1'));
      expect(first!.unwrap().fromCache).to.equal(false);
      expect(second!.unwrap().fromCache).to.equal(true);
      expect(second!.unwrap().etag).to.equal(first!.unwrap().etag);
      expect(uncached!.unwrap().fromCache).to.equal(false);
      expect(commandNames(spy)).to.deep.equal(['HeadObjectCommand', 'HeadObjectCommand']);
    } finally {
      spy.restore();
    }
  });

  it("this client's writes invalidate: put, copy, delete, move", async () => {
    const head = async (key: string) => (await collect(rx.getObjectMetadata(fx.bucket, key, { cache: true })))[0]!;
    await collect(rx.putObject(fx.bucket, 'w', 'short'));
    expect((await head('w')).unwrap().contentLength).to.equal(5);
    await collect(rx.putObject(fx.bucket, 'w', 'much longer'));
    expect((await head('w')).unwrap()).to.include({ contentLength: 11, fromCache: false });

    await collect(rx.copyObject({ bucket: fx.bucket, key: 'c1' }, { bucket: fx.bucket, key: 'w' }));
    expect((await head('w')).unwrap()).to.include({ contentLength: 3, fromCache: false });

    await head('w');
    await collect(rx.deleteObject(fx.bucket, 'w'));
    expect((await head('w')).err).to.equal(true);

    await collect(rx.putObject(fx.bucket, 'm', 'move me'));
    await head('m');
    await collect(rx.moveObject({ bucket: fx.bucket, key: 'm' }, { bucket: fx.bucket, key: 'm2' }));
    expect((await head('m')).err).to.equal(true);
  });

  it('is bounded: the least recently used entry goes first', async () => {
    for (const key of ['b1', 'b2', 'b3']) await collect(rx.putObject(fx.bucket, key, key));
    const head = async (key: string) => (await collect(rx.getObjectMetadata(fx.bucket, key, { cache: true })))[0]!.unwrap().fromCache;
    await head('b1');
    await head('b2');
    await head('b3'); // evicts b1 (maxEntries 2)
    expect(await head('b3')).to.equal(true);
    expect(await head('b1')).to.equal(false);
  });

  it('is off unless enabled on the client', async () => {
    const [a] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'c1', { cache: true }));
    const [b] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'c1', { cache: true }));
    expect([a!.unwrap().fromCache, b!.unwrap().fromCache]).to.deep.equal([false, false]);
  });
});
