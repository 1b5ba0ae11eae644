import { buffer, text } from 'node:stream/consumers';
import { expect } from 'chai';
import { collect, spySend, useBucket } from '../support/fixtures';
import { makeClient, server } from '../support/server';

describe('generatePresignedUrl', () => {
  const fx = useBucket('presign');

  const sign = async (method: 'GET' | 'PUT' | 'DELETE' | 'HEAD', key: string, ttl?: number) => {
    const results = await collect(fx.rx.generatePresignedUrl(method, fx.bucket, key, ttl === undefined ? {} : { ttl }));
    expect(results).to.have.length(1);
    return results[0]!.unwrap();
  };

  it('signs locally (no request) and reports method, TTL and expiry', async () => {
    const spy = spySend(fx.rx);
    try {
      const before = Date.now();
      const url = await sign('GET', 'a.txt', 120);
      expect(spy.callCount).to.equal(0);
      expect(url).to.include({ method: 'GET', bucket: fx.bucket, key: 'a.txt', expiresIn: 120 });
      expect(url.url).to.match(/X-Amz-Expires=120/);
      expect(url.expiresAt.getTime()).to.be.within(before + 119_000, Date.now() + 121_000);
    } finally {
      spy.restore();
    }
  });

  it('PUT, GET, HEAD and DELETE URLs work with fetch', async () => {
    const body = 'uploaded through a presigned URL \u2713';
    const put = await fetch((await sign('PUT', 'via-url.txt')).url, { method: 'PUT', body });
    expect(put.status).to.equal(200);
    const [stored] = await collect(fx.rx.getObject(fx.bucket, 'via-url.txt'));
    expect(await text(stored!.unwrap().body)).to.equal(body);

    const get = await fetch((await sign('GET', 'via-url.txt')).url);
    expect(get.status).to.equal(200);
    expect(await get.text()).to.equal(body);

    const head = await fetch((await sign('HEAD', 'via-url.txt')).url, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-length')).to.equal(String(Buffer.byteLength(body)));

    const del = await fetch((await sign('DELETE', 'via-url.txt')).url, { method: 'DELETE' });
    expect(del.status).to.equal(204);
    const [gone] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'via-url.txt'));
    expect(gone!.err && gone!.val.kind).to.equal('NoSuchKey');
  });

  it('a presigned PUT carries no checksum of an empty body (the SDK default trap)', async () => {
    const url = (await sign('PUT', 'x')).url;
    expect(url).to.not.match(/x-amz-checksum/i);
  });

  for (const ttl of [0, -1, 1.5, 604_801, Number.NaN]) {
    it(`rejects a TTL of ${ttl} as InvalidInput`, async () => {
      const [result] = await collect(fx.rx.generatePresignedUrl('GET', fx.bucket, 'k', { ttl }));
      expect(result!.err && result!.val.kind).to.equal('InvalidInput');
      expect(result!.err && result!.val.message).to.match(/ttl/);
    });
  }

  it('accepts the bounds: 1 s and 7 days', async () => {
    expect((await sign('GET', 'k', 1)).expiresIn).to.equal(1);
    expect((await sign('GET', 'k', 604_800)).expiresIn).to.equal(604_800);
  });

  it('rejects an unknown method', async () => {
    const [result] = await collect(fx.rx.generatePresignedUrl('POST' as 'GET', fx.bucket, 'k'));
    expect(result!.err && result!.val.kind).to.equal('InvalidInput');
  });

  describe('on a server that verifies signatures', () => {
    before(function () {
      if (!server().verifiesAuth) this.skip();
    });

    it('a presigned PUT stores exactly the bytes sent', async () => {
      const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff));
      const put = await fetch((await sign('PUT', 'exact.bin')).url, { method: 'PUT', body: bytes });
      expect(put.status).to.equal(200);
      const [got] = await collect(fx.rx.getObject(fx.bucket, 'exact.bin'));
      expect((await buffer(got!.unwrap().body)).equals(bytes)).to.equal(true);
    });

    it('a URL is rejected once its TTL ran out', async function () {
      this.timeout(10_000);
      await collect(fx.rx.putObject(fx.bucket, 'short-lived', 'x'));
      // 2 s, not 1: X-Amz-Date has whole seconds, so a 1 s URL can already be stale when first used.
      const url = (await sign('GET', 'short-lived', 2)).url;
      expect((await fetch(url)).status).to.equal(200);
      await new Promise((r) => setTimeout(r, 3500));
      expect((await fetch(url)).status).to.equal(403);
    });

    it('a URL for key A does not work for key B', async () => {
      await collect(fx.rx.putObject(fx.bucket, 'key-a', 'a'));
      await collect(fx.rx.putObject(fx.bucket, 'key-b', 'b'));
      const url = (await sign('GET', 'key-a')).url.replace('/key-a?', '/key-b?');
      expect((await fetch(url)).status).to.equal(403);
    });

    it('a tampered signature is rejected', async () => {
      const url = new URL((await sign('GET', 'key-a')).url);
      const signature = url.searchParams.get('X-Amz-Signature')!;
      url.searchParams.set('X-Amz-Signature', signature.replace(/.$/, (c) => (c === '0' ? '1' : '0')));
      expect((await fetch(url)).status).to.equal(403);
    });

    it('wrong credentials give Err(AccessDenied), never a thrown error', async () => {
      const wrong = makeClient({ credentials: { accessKeyId: server().accessKeyId, secretAccessKey: 'not-the-secret' } });
      try {
        const [listed] = await collect(wrong.listBuckets());
        expect(listed!.err && listed!.val).to.include({ kind: 'AccessDenied', status: 403 });
        const [got] = await collect(wrong.getObject(fx.bucket, 'key-a'));
        expect(got!.err && got!.val.kind).to.equal('AccessDenied');
        const [head] = await collect(wrong.getObjectMetadata(fx.bucket, 'key-a'));
        expect(head!.err && head!.val.kind).to.equal('AccessDenied');
      } finally {
        wrong.destroy();
      }
    });
  });
});
