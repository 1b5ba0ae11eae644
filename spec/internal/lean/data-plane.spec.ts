import { createHash } from 'node:crypto';
import { Agent } from 'node:http';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, UploadPartCommand, CreateMultipartUploadCommand, AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import sinon from 'sinon';
import type { RxS3, RxS3Options } from '../../../lib';
import { contextOf } from '../../../lib/internal/context';
import type { LeanDataPlane } from '../../../lib/internal/lean/data-plane';
import { keyPath } from '../../../lib/internal/lean/wire';
import { FaultProxy, requests, type SeenRequest } from '../../support/fault-proxy';
import { collect, useBucket } from '../../support/fixtures';
import { makeClient } from '../../support/server';

/** The data plane of an RxS3 (what its operations send HeadObject, GetObject, PutObject and UploadPart through). */
function dataOf(rx: RxS3): LeanDataPlane {
  return contextOf(rx)!.data as LeanDataPlane;
}

/** The client's keep-alive http agent (the one both paths use). */
async function httpAgentOf(rx: RxS3): Promise<Agent> {
  const handler = rx.client.config.requestHandler as unknown as { configProvider: Promise<{ httpAgentProvider(): Promise<Agent> }> };
  return (await handler.configProvider).httpAgentProvider();
}

const openSockets = (agent: Agent): number => Object.values(agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0);

describe('the lean data plane', function () {
  this.timeout(20_000);
  const fx = useBucket('lean');
  let proxy: FaultProxy;
  const clients: RxS3[] = [];
  const client = (overrides: RxS3Options = {}): RxS3 => {
    const rx = makeClient({ endpoint: proxy.endpoint, dataPlane: 'auto', ...overrides });
    clients.push(rx);
    return rx;
  };
  const objectRequests = (match: (r: SeenRequest) => boolean): SeenRequest[] => proxy.seen.filter((r) => match(r) && r.url.includes(fx.bucket));

  before(async () => {
    proxy = await FaultProxy.start();
  });
  afterEach(() => {
    proxy.reset();
    sinon.restore();
    for (const rx of clients.splice(0)) rx.destroy();
  });
  after(async () => {
    await proxy.stop();
  });

  describe('routing', () => {
    it('in auto mode, putObject, getObjectMetadata and getObject send no SDK command: the proxy sees them, S3Client.send does not', async () => {
      const spy = sinon.spy(S3Client.prototype, 'send');
      const rx = client();
      expect((await lastValueFrom(rx.putObject(fx.bucket, 'routed', 'hello'))).ok).to.equal(true);
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'routed'));
      expect(head.ok && head.val.contentLength).to.equal(5);
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'routed'));
      expect(got.ok && String(await buffer(got.val.body))).to.equal('hello');
      expect(spy.callCount, 'SDK sends').to.equal(0);
      expect(dataOf(rx).routes).to.include({ lean: 3, sdk: 0 });
      expect(objectRequests(() => true).map((r) => r.method)).to.deep.equal(['PUT', 'HEAD', 'GET']);
      expect(proxy.seen[0]!.headers['user-agent']).to.match(/lean/);
    });

    it("a request handler of the user's, dataPlane 'sdk', an unknown input field and a stream body go through the SDK", async () => {
      const own = client({ clientConfig: { requestHandler: { httpAgent: new Agent({ keepAlive: true }) } } });
      expect((await lastValueFrom(own.putObject(fx.bucket, 'own-handler', 'x'))).ok).to.equal(true);
      expect(dataOf(own).routes).to.include({ lean: 0, sdk: 1, lastFallback: 'the client has a request handler of its own' });

      const sdk = client({ dataPlane: 'sdk' });
      expect((await lastValueFrom(sdk.getObjectMetadata(fx.bucket, 'own-handler'))).ok).to.equal(true);
      expect(dataOf(sdk).routes).to.include({ lean: 0, sdk: 1 });

      const rx = client();
      const data = dataOf(rx);
      await data.send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'own-handler', ResponseExpires: new Date() }));
      expect(data.routes.lastFallback).to.equal('input field ResponseExpires');
      await data.send(new PutObjectCommand({ Bucket: fx.bucket, Key: 'sha', Body: 'x', ChecksumAlgorithm: 'SHA256' }));
      expect(data.routes.lastFallback).to.equal('input field ChecksumAlgorithm');
      const { Readable } = await import('node:stream');
      await data.send(new PutObjectCommand({ Bucket: fx.bucket, Key: 'stream', Body: Readable.from([Buffer.from('s')]), ContentLength: 1 }));
      expect(data.routes.lastFallback).to.equal('input field Body');
      expect(data.routes).to.include({ lean: 0, sdk: 3 });
    });

    it("middleware added to the client sends the data plane to the SDK in auto mode (so it runs), not with dataPlane 'lean'", async () => {
      for (const mode of ['auto', 'lean'] as const) {
        const rx = client({ dataPlane: mode });
        const seen: string[] = [];
        rx.client.middlewareStack.add((next, context) => (args) => {
          seen.push(context.commandName ?? '?');
          return next(args);
        }, { step: 'initialize', name: 'specWatcher' });
        expect((await lastValueFrom(rx.putObject(fx.bucket, `mw-${mode}`, 'x'))).ok).to.equal(true);
        expect(seen, mode).to.deep.equal(mode === 'auto' ? ['PutObjectCommand'] : []);
      }
    });

    it('a spy or wrapper put on client.send after the client was built sees every data-plane request', async () => {
      const rx = client();
      const spy = sinon.spy(rx.client, 'send');
      expect((await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'own-handler'))).ok).to.equal(true);
      expect(spy.callCount).to.equal(1);
    });
  });

  describe('the wire', () => {
    const hostile = ['a b', 'plus+sign', 'tilde~x', 'star*(paren)!', "quote'", 'ünïcödé/日本', 'percent%20', 'q?x=1&y#z', 'dir//double/', '.', 'a/../b', 'semi;colon,comma=eq@at$dollar', ' lead and trail ', '\ttab'];

    it('keys with special characters take the same path as the SDK gives them, and round-trip', async () => {
      const lean = client();
      const sdk = client({ dataPlane: 'sdk' });
      for (const key of hostile) {
        proxy.reset();
        expect((await lastValueFrom(lean.putObject(fx.bucket, key, `lean:${key}`))).ok, key).to.equal(true);
        expect((await lastValueFrom(sdk.getObjectMetadata(fx.bucket, key))).ok, key).to.equal(true);
        const [put, head] = proxy.seen;
        expect(put!.url, key).to.equal(head!.url);
        expect(put!.url).to.equal(`/${fx.bucket}/${keyPath(key)}`);
        const got = await lastValueFrom(lean.getObject(fx.bucket, key));
        expect(got.ok && String(await buffer(got.val.body)), key).to.equal(`lean:${key}`);
      }
      expect(dataOf(lean).routes.sdk).to.equal(0);
    });

    it('metadata and content headers go out as headers and come back in the output', async () => {
      const rx = client();
      const put = await lastValueFrom(rx.putObject(fx.bucket, 'meta', 'body', {
        contentType: 'text/plain', metadata: { Project: 'Lean', 'x-y': 'z w' },
        params: { CacheControl: 'max-age=60', ContentDisposition: 'attachment; filename="a b.txt"', ContentLanguage: 'fr' },
      }));
      expect(put.ok).to.equal(true);
      const head = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'meta'));
      if (!head.ok) throw new Error(head.val.message);
      expect(head.val.metadata).to.include({ project: 'Lean', 'x-y': 'z w' });
      expect(head.val.contentType).to.equal('text/plain');
      const sent = objectRequests(requests.put)[0]!.headers;
      expect(sent).to.include({ 'cache-control': 'max-age=60', 'content-disposition': 'attachment; filename="a b.txt"', 'content-language': 'fr', 'content-type': 'text/plain', 'x-amz-meta-project': 'Lean', 'x-amz-meta-x-y': 'z w' });
      expect(head.val.raw.LastModified).to.be.instanceOf(Date);
      expect(head.val.raw.$metadata).to.include({ httpStatusCode: 200, attempts: 1 });
    });

    it('SSE-C: the algorithm, the key and its MD5 are sent as the SDK sends them', async () => {
      const key = Buffer.alloc(32, 7);
      const rx = client();
      const sdk = client({ dataPlane: 'sdk' });
      await lastValueFrom(rx.putObject(fx.bucket, 'ssec', 'secret', { sseCustomerKey: key }));
      await lastValueFrom(sdk.putObject(fx.bucket, 'ssec', 'secret', { sseCustomerKey: key }));
      const [lean, viaSdk] = objectRequests(requests.put);
      for (const name of ['x-amz-server-side-encryption-customer-algorithm', 'x-amz-server-side-encryption-customer-key', 'x-amz-server-side-encryption-customer-key-md5']) {
        expect(lean!.headers[name], name).to.be.a('string').and.equal(viaSdk!.headers[name]);
      }
      expect(lean!.headers['x-amz-server-side-encryption-customer-key-md5']).to.equal(createHash('md5').update(key).digest('base64'));
      const head = await dataOf(rx).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'ssec', SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') }));
      expect(head.ContentLength).to.equal(6);
      expect(objectRequests(requests.head)[0]!.headers['x-amz-server-side-encryption-customer-key']).to.equal(key.toString('base64'));
    });

    it("payload signing: the body's SHA-256 over http by default; 'unsigned' sends UNSIGNED-PAYLOAD with a CRC32 header, and an UploadPart without a checksum signed", async () => {
      const body = Buffer.from('signed body');
      await lastValueFrom(client().putObject(fx.bucket, 'signed', body));
      expect(objectRequests(requests.put)[0]!.headers['x-amz-content-sha256']).to.equal(createHash('sha256').update(body).digest('hex'));
      proxy.reset();

      const rx = client({ payloadSigning: 'unsigned' });
      await lastValueFrom(rx.putObject(fx.bucket, 'unsigned', body));
      const put = objectRequests(requests.put)[0]!;
      expect(put.headers['x-amz-content-sha256']).to.equal('UNSIGNED-PAYLOAD');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE((await import('node:zlib')).crc32(body));
      expect(put.headers['x-amz-checksum-crc32']).to.equal(crc.toString('base64'));

      proxy.reset();
      await lastValueFrom(client().putObject(fx.bucket, 'asked-crc', body, { checksum: 'CRC32' }));
      expect(objectRequests(requests.put)[0]!.headers).to.include({ 'x-amz-checksum-crc32': crc.toString('base64'), 'x-amz-sdk-checksum-algorithm': 'CRC32' });

      const created = await rx.client.send(new CreateMultipartUploadCommand({ Bucket: fx.bucket, Key: 'part' }));
      try {
        await dataOf(rx).send(new UploadPartCommand({ Bucket: fx.bucket, Key: 'part', UploadId: created.UploadId, PartNumber: 1, Body: body }));
        const part = objectRequests(requests.uploadPart)[0]!;
        expect(part.headers['x-amz-content-sha256']).to.equal(createHash('sha256').update(body).digest('hex'));
        expect(part.headers['x-amz-checksum-crc32']).to.equal(undefined);
      } finally {
        await rx.client.send(new AbortMultipartUploadCommand({ Bucket: fx.bucket, Key: 'part', UploadId: created.UploadId }));
      }
      expect(dataOf(rx).routes.sdk).to.equal(0);
    });
  });

  describe('errors, retries, aborts', () => {
    it('a HEAD of a missing key rejects as the SDK does (NotFound, $fault, $metadata) and maps to NoSuchKey', async () => {
      const rx = client();
      const error = await dataOf(rx).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'missing' })).then(() => undefined, (e: unknown) => e as Record<string, unknown>);
      expect(error).to.include({ name: 'NotFound', $fault: 'client' });
      expect(error!.$metadata).to.include({ httpStatusCode: 404, attempts: 1 });
      const result = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'missing'));
      expect(result.err && result.val.kind).to.equal('NoSuchKey');
      // Each error answer frees its connection: more 404s in a row than the pool has sockets, on one connection.
      for (let i = 0; i < 80; i += 1) await dataOf(rx).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: `missing-${i}` })).catch(() => undefined);
      expect(dataOf(rx).connections).to.deep.equal({ open: 1, free: 1 });
    });

    it("a GET's XML error body gives the error its name, Code, message and request id", async () => {
      const rx = client();
      const error = await dataOf(rx).send(new GetObjectCommand({ Bucket: fx.bucket, Key: 'missing' })).then(() => undefined, (e: unknown) => e as Record<string, unknown>);
      expect(error).to.include({ name: 'NoSuchKey', Code: 'NoSuchKey', $fault: 'client' });
      expect(error!.message).to.be.a('string').and.not.equal('UnknownError');
      expect((error!.$metadata as { requestId?: string }).requestId).to.be.a('string');
      proxy.inject({ match: requests.get, action: { kind: 'error', status: 403, code: 'AccessDenied' } });
      const denied = await lastValueFrom(rx.getObject(fx.bucket, 'missing'));
      expect(denied.err && denied.val).to.include({ kind: 'AccessDenied', status: 403, requestId: 'FAULTPROXY0001', code: 'AccessDenied' });
    });

    it('503 SlowDown is retried with the client\'s retry strategy, then Ok; $metadata counts the attempts', async () => {
      const rx = client();
      await lastValueFrom(rx.putObject(fx.bucket, 'slow', 'x'));
      proxy.inject({ match: requests.head, times: 2, action: { kind: 'error', status: 503, code: 'SlowDown' } });
      const head = await dataOf(rx).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'slow' }));
      expect(head.$metadata.attempts).to.equal(3);
      expect(head.$metadata.totalRetryDelay).to.be.greaterThan(0);
      proxy.inject({ match: requests.head, times: Infinity, action: { kind: 'error', status: 503, code: 'SlowDown' } });
      const error = await dataOf(rx).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'slow' })).then(() => undefined, (e: unknown) => e as { $metadata: { attempts: number } });
      expect(error!.$metadata.attempts).to.equal(3);
      expect(dataOf(rx).routes.sdk).to.equal(0);
    });

    it('a keep-alive connection reset before any answer is retried at once, outside maxAttempts', async () => {
      const rx = client({ maxAttempts: 1 });
      expect((await lastValueFrom(rx.putObject(fx.bucket, 'stale', 'first'))).ok).to.equal(true);
      proxy.inject({ match: requests.put, action: { kind: 'reset-request', afterBytes: 1 } });
      const put = await lastValueFrom(rx.putObject(fx.bucket, 'stale', 'second'));
      expect(put.ok, JSON.stringify(put.val)).to.equal(true);
      expect(proxy.applied).to.deep.equal([1]);
      const got = await lastValueFrom(rx.getObject(fx.bucket, 'stale'));
      expect(got.ok && String(await buffer(got.val.body))).to.equal('second');
    });

    it('an abort mid-request rejects with AbortError and frees the socket', async () => {
      const rx = client();
      await lastValueFrom(rx.putObject(fx.bucket, 'hang', 'x'));
      const agent = await httpAgentOf(rx);
      proxy.inject({ match: requests.get, action: { kind: 'hang' } });
      const controller = new AbortController();
      const sent = dataOf(rx).send(new GetObjectCommand({ Bucket: fx.bucket, Key: 'hang' }), { abortSignal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(openSockets(agent)).to.equal(1);
      controller.abort();
      const error = await sent.then(() => undefined, (e: unknown) => e as Error);
      expect(error?.name).to.equal('AbortError');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(openSockets(agent)).to.equal(0);
      // Unsubscribing from an operation does the same (a HEAD goes over the lean path's own connections).
      proxy.inject({ match: requests.head, action: { kind: 'hang' } });
      const subscription = rx.getObjectMetadata(fx.bucket, 'hang').subscribe();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(dataOf(rx).connections.open).to.equal(1);
      subscription.unsubscribe();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(dataOf(rx).connections.open).to.equal(0);
    });

    it('a clock 1 h behind is corrected from the Date of a RequestTimeTooSkewed answer, and the request retried', async () => {
      const rx = client({ maxAttempts: 2 });
      await lastValueFrom(rx.putObject(fx.bucket, 'skew', 'x'));
      rx.client.config.systemClockOffset = -3_600_000;
      proxy.inject({ match: requests.head, action: { kind: 'error', status: 403, code: 'RequestTimeTooSkewed' } });
      const head = await dataOf(rx).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'skew' }));
      expect(head.$metadata.attempts).to.equal(2);
      expect(Math.abs(rx.client.config.systemClockOffset ?? NaN)).to.be.below(5_000);
      const [first, second] = objectRequests(requests.head).map((r) => r.headers['x-amz-date'] as string);
      const hour = (amzDate: string): number => Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
      expect(hour(second!) - hour(first!)).to.be.above(3_500_000);
    });
  });

  describe('redirects', () => {
    it('a 301 with x-amz-bucket-region is signed again for that region and retried when followRegionRedirects is set; otherwise an Err', async () => {
      const redirect = { kind: 'error', status: 301, code: 'PermanentRedirect', headers: { 'x-amz-bucket-region': 'eu-west-1' } } as const;
      const following = client({ clientConfig: { followRegionRedirects: true } });
      await lastValueFrom(following.putObject(fx.bucket, 'moved-region', 'x'));
      proxy.reset();
      proxy.inject({ match: requests.head, action: redirect });
      const head = await dataOf(following).send(new HeadObjectCommand({ Bucket: fx.bucket, Key: 'moved-region' }));
      expect(head.ContentLength).to.equal(1);
      const scopes = objectRequests(requests.head).map((r) => /Credential=[^/]+\/\d+\/([^/]+)\//.exec(String(r.headers.authorization))?.[1]);
      expect(scopes).to.deep.equal(['us-east-1', 'eu-west-1']);

      const staying = client();
      proxy.inject({ match: requests.get, action: redirect });
      const result = await lastValueFrom(staying.getObject(fx.bucket, 'moved-region'));
      expect(result.err && result.val).to.include({ status: 301, code: 'PermanentRedirect' });
    });
  });

  describe('checksums', () => {
    it('when the SDK would validate, a whole-object GET checks the stored CRC32: a flipped byte fails the body (Integrity); other algorithms go to the SDK', async () => {
      const rx = client({ responseChecksumValidation: 'WHEN_SUPPORTED' });
      const body = Buffer.alloc(100_000, 3);
      await lastValueFrom(rx.putObject(fx.bucket, 'crc', body));
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE((await import('node:zlib')).crc32(body));
      // The server's stored checksum, as S3 answers it (the embedded server stores none: the proxy adds it).
      const stored = { 'x-amz-checksum-crc32': crc.toString('base64'), 'x-amz-checksum-type': 'FULL_OBJECT' };
      proxy.inject({ match: requests.get, action: { kind: 'flip', atByte: Infinity, headers: stored } });
      const fine = await dataOf(rx).send(new GetObjectCommand({ Bucket: fx.bucket, Key: 'crc' }));
      expect((await buffer(fine.Body as NodeJS.ReadableStream)).equals(body)).to.equal(true);
      expect(objectRequests(requests.get)[0]!.headers['x-amz-checksum-mode']).to.equal('ENABLED');

      proxy.inject({ match: requests.get, action: { kind: 'flip', atByte: 50_000, headers: stored } });
      const flipped = await lastValueFrom(rx.getObject(fx.bucket, 'crc', { integrity: false }));
      if (!flipped.ok) throw new Error(flipped.val.message);
      const failure = await buffer(flipped.val.body).then(() => undefined, (e: unknown) => e as Error);
      expect(failure?.message).to.match(/^Checksum mismatch/);
      const streamed = await collect(rx.downloadStream(fx.bucket, 'crc'));
      expect(streamed.every((r) => r.ok), 'no fault left: the stream is fine').to.equal(true);
      expect(dataOf(rx).routes.sdk).to.equal(0);

      proxy.inject({ match: requests.get, action: { kind: 'flip', atByte: Infinity, headers: { 'x-amz-checksum-crc32c': 'AAAAAA==' } } });
      const other = await dataOf(rx).send(new GetObjectCommand({ Bucket: fx.bucket, Key: 'crc' })).then(() => 'read', (e: unknown) => (e as Error).message);
      expect(dataOf(rx).routes.lastFallback).to.equal('the answer carries a checksum the lean path cannot check');
      expect(other).to.equal('read'); // the SDK's own read (the proxy's header was on the lean request only)
    });

    it("without ChecksumMode and with WHEN_REQUIRED, nothing is validated (as the SDK)", async () => {
      const rx = client();
      await lastValueFrom(rx.putObject(fx.bucket, 'nocheck', 'abc'));
      proxy.inject({ match: requests.get, action: { kind: 'flip', atByte: Infinity, headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } } });
      const got = await dataOf(rx).send(new GetObjectCommand({ Bucket: fx.bucket, Key: 'nocheck' }));
      expect(await got.Body!.transformToString(), 'the SDK stream extras').to.equal('abc');
      expect(objectRequests(requests.get)[0]!.headers['x-amz-checksum-mode']).to.equal(undefined);
    });
  });

  describe('with the rest of rx-s3', () => {
    it('uploadFile in parts and downloadFile in ranges go lean and are byte-identical', async () => {
      const { mkdtemp, writeFile, readFile, rm } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const dir = await mkdtemp(join(tmpdir(), 'rx-s3-lean-'));
      try {
        const data = Buffer.alloc(11 * 1024 * 1024);
        for (let i = 0; i < data.length; i += 4096) data[i] = i % 251;
        await writeFile(join(dir, 'in.bin'), data);
        const rx = client();
        const up = await collect(rx.uploadFile(fx.bucket, 'big', join(dir, 'in.bin'), { partSize: 5 * 1024 * 1024 }));
        expect(up[up.length - 1]!.ok).to.equal(true);
        const down = await collect(rx.downloadFile(fx.bucket, 'big', join(dir, 'out.bin'), { partSize: 5 * 1024 * 1024 }));
        expect(down[down.length - 1]!.ok).to.equal(true);
        expect((await readFile(join(dir, 'out.bin'))).equals(data)).to.equal(true);
        expect(objectRequests(requests.uploadPart)).to.have.length(3);
        expect(dataOf(rx).routes.lean).to.be.at.least(6);
        expect(dataOf(rx).routes.sdk).to.equal(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
