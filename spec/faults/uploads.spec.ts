import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import type { RxS3 } from '../../lib';
import { LARGEST_PART } from '../../lib/internal/multipart';
import { bytes, collect, interceptSend, spySend, useBucket, useTempDir } from '../support/fixtures';
import { requests } from '../support/fault-proxy';
import { makeClient } from '../support/server';
import { expectOneErr, expectSaneProgress, expectUploadGone, PATIENT, uploadIdsSeen, useFaultClient, useFaultProxy } from './support';

const MiB = 1024 * 1024;

describe('faults: uploadFile, uploadStream, putObject', function () {
  this.timeout(30_000);
  const fx = useBucket('fault-up');
  const dir = useTempDir();
  const fp = useFaultProxy();
  const client = useFaultClient(fp, { timeouts: PATIENT });
  const twelve = bytes(12 * MiB, 21);
  let file = '';

  before(async () => {
    file = join(dir.path, 'twelve.bin');
    await writeFile(file, twelve);
  });

  const stored = async (key: string): Promise<Buffer | string> => {
    const got = await lastValueFrom(fx.rx.getObject(fx.bucket, key));
    return got.ok ? buffer(got.val.body) : got.val.kind;
  };
  const uploadIds = (): string[] => uploadIdsSeen(fp.proxy.seen.map((r) => r.url));

  it('a part reset mid-body and a part never answered are sent again from their buffers: byte-identical, progress never past the total', async () => {
    fp.proxy.inject(
      { match: requests.uploadPart, action: { kind: 'reset-request', afterBytes: MiB } },
      { match: requests.uploadPart, action: { kind: 'hang' } },
    );
    const results = await collect(client.rx.uploadFile(fx.bucket, 'retried', file, { partSize: 5 * MiB, concurrency: 1, progressInterval: 0 }));
    expect(results[results.length - 1]!.ok).to.equal(true);
    expect(fp.proxy.applied).to.deep.equal([1, 1]);
    expect(fp.proxy.count(requests.uploadPart)).to.equal(5);
    expectSaneProgress(results, twelve.length);
    expect(((await stored('retried')) as Buffer).equals(twelve)).to.equal(true);
  });

  it('a part whose body the server stops reading (a send-side stall) times out and is sent again: byte-identical', async () => {
    fp.proxy.inject({ match: requests.uploadPart, action: { kind: 'stall-request', afterBytes: MiB } });
    const results = await collect(client.rx.uploadFile(fx.bucket, 'send-stall', file, { partSize: 5 * MiB, concurrency: 1 }));
    expect(results[results.length - 1]!.ok, JSON.stringify(results[results.length - 1]!.val)).to.equal(true);
    expect(fp.proxy.applied).to.deep.equal([1]);
    expect(((await stored('send-stall')) as Buffer).equals(twelve)).to.equal(true);
  });

  it('a part refused on every attempt (500): one Err, the multipart upload aborted, no object', async () => {
    fp.proxy.inject({ match: requests.uploadPart, skip: 1, times: Infinity, action: { kind: 'error', status: 500, code: 'InternalError' } });
    const results = await collect(client.rx.uploadFile(fx.bucket, 'refused', file, { partSize: 5 * MiB }));
    expectOneErr(results, 'ServiceError');
    const [uploadId] = uploadIds();
    await expectUploadGone(fx.rx, fx.bucket, 'refused', uploadId!);
    expect(await stored('refused')).to.equal('NoSuchKey');
  });

  it('a failed part whose AbortMultipartUpload is refused too: one Err of the part\'s kind that says the parts may remain', async () => {
    fp.proxy.inject(
      { match: requests.uploadPart, skip: 1, times: Infinity, action: { kind: 'error', status: 500, code: 'InternalError' } },
      { match: requests.abortUpload, times: Infinity, action: { kind: 'error', status: 403, code: 'AccessDenied' } },
    );
    const results = await collect(client.rx.uploadFile(fx.bucket, 'abort-refused', file, { partSize: 5 * MiB }));
    const error = expectOneErr(results, 'ServiceError');
    const [uploadId] = uploadIds();
    expect(error.message).to.include(`; aborting multipart upload ${uploadId} failed too: its parts may remain`);
    expect(fp.proxy.count(requests.abortUpload), 'abort attempts').to.equal(4);
    // The upload did remain (the proxy refused every abort): remove it directly.
    await fx.rx.client.send(new AbortMultipartUploadCommand({ Bucket: fx.bucket, Key: 'abort-refused', UploadId: uploadId }));
    await expectUploadGone(fx.rx, fx.bucket, 'abort-refused', uploadId!);
  });

  it('CompleteMultipartUpload throttled once (503 SlowDown) is retried: Ok', async () => {
    fp.proxy.inject({ match: requests.completeUpload, action: { kind: 'error', status: 503, code: 'SlowDown' } });
    const results = await collect(client.rx.uploadFile(fx.bucket, 'throttled', file, { partSize: 5 * MiB }));
    expect(results[results.length - 1]!.ok).to.equal(true);
    expect(((await stored('throttled')) as Buffer).equals(twelve)).to.equal(true);
  });

  it('a server restart mid-upload: the parts in flight are retried; byte-identical', async () => {
    fp.proxy.inject({ match: requests.uploadPart, action: { kind: 'hang' } });
    // Ten attempts: the SDK's standard retry strategy (which the lean path uses too) backs off with full jitter, and
    // the default attempts were once all spent inside the 50 ms outage (4 attempts, 26 ms of delay in all).
    const patient = makeClient({ endpoint: fp.proxy.endpoint, timeouts: PATIENT, maxAttempts: 10 });
    const upload = collect(patient.uploadFile(fx.bucket, 'restarted', file, { partSize: 5 * MiB, concurrency: 1 }));
    await waitFor(() => fp.proxy.count(requests.uploadPart) === 1);
    await fp.proxy.restart(50);
    const results = await upload;
    patient.destroy();
    expect(results[results.length - 1]!.ok, JSON.stringify(results[results.length - 1]!.val)).to.equal(true);
    expect(((await stored('restarted')) as Buffer).equals(twelve)).to.equal(true);
  });

  it('a deadline mid-upload: one Err(Timeout), emitted once the multipart upload is aborted; no object', async () => {
    fp.proxy.inject({ match: requests.uploadPart, skip: 1, times: Infinity, action: { kind: 'hang' } });
    const results = await collect(client.rx.uploadFile(fx.bucket, 'late', file, { partSize: 5 * MiB, timeouts: { deadlineMs: 600, idleMs: 0 } }));
    expect(expectOneErr(results, 'Timeout').message).to.match(/deadline of 600 ms/);
    await expectUploadGone(fx.rx, fx.bucket, 'late', uploadIds()[0]!);
    expect(await stored('late')).to.equal('NoSuchKey');
  });

  it('issue 9 item 3: unsubscribing uploadStream while its source is idle aborts the multipart upload at once', async () => {
    const source = new PassThrough();
    source.write(bytes(6 * MiB, 3));
    const subscription = client.rx.uploadStream(fx.bucket, 'idle', source, { partSize: 5 * MiB }).subscribe();
    await waitFor(() => fp.proxy.count(requests.uploadPart) === 1);
    subscription.unsubscribe();
    const flushed = await Promise.race([client.rx.flushCleanups().then(() => 'flushed'), delay(5_000).then(() => 'still waiting for the source')]);
    expect(flushed).to.equal('flushed');
    expect(source.destroyed).to.equal(true);
    await expectUploadGone(fx.rx, fx.bucket, 'idle', uploadIds()[0]!);
  });

  it('issue 9 item 4: a second subscription on a consumed Readable is Err(InvalidInput) before any request; a factory is truly cold', async () => {
    const once$ = client.rx.uploadStream(fx.bucket, 'once', Readable.from([Buffer.from('first')]));
    expect((await collect(once$)).pop()!.ok).to.equal(true);
    const sent = fp.proxy.seen.length;
    const [again] = await collect(once$);
    expect(again!.err && again!.val.kind).to.equal('InvalidInput');
    const put$ = client.rx.putObject(fx.bucket, 'put-once', Readable.from([Buffer.from('abc')]), { contentLength: 3 });
    expect((await collect(put$))[0]!.ok).to.equal(true);
    const [putAgain] = await collect(put$);
    expect(putAgain!.err && putAgain!.val.kind).to.equal('InvalidInput');
    expect(fp.proxy.seen.length - sent, 'requests for the refused subscriptions').to.equal(1);
    expect(await stored('once').then(String)).to.equal('first');

    let made = 0;
    const cold$ = client.rx.uploadStream(fx.bucket, 'cold', () => Readable.from([Buffer.from(`run ${++made}`)]));
    expect((await collect(cold$)).pop()!.ok).to.equal(true);
    expect((await collect(cold$)).pop()!.ok).to.equal(true);
    expect(await stored('cold').then(String)).to.equal('run 2');
  });

  it('issue 9 item 5: an object-mode Readable of Uint8Array chunks uploads byte-identically', async () => {
    const data = bytes(6 * MiB + 3, 5);
    const chunks = Array.from({ length: Math.ceil(data.length / 100_000) }, (_, i) => new Uint8Array(data.subarray(i * 100_000, (i + 1) * 100_000)));
    const results = await collect(client.rx.uploadStream(fx.bucket, 'typed', Readable.from(chunks, { objectMode: true }), { partSize: 5 * MiB }));
    expect(results[results.length - 1]!.ok, JSON.stringify(results[results.length - 1]!.val)).to.equal(true);
    expect(((await stored('typed')) as Buffer).equals(data)).to.equal(true);
    const [bad] = (await collect(client.rx.uploadStream(fx.bucket, 'objects', Readable.from([{ not: 'bytes' }])))).slice(-1);
    expect(bad!.err && bad!.val.kind).to.equal('InvalidInput');
  });

  it('issue 9 item 10: a partSize above the largest part (Node\'s buffer limit on Node 20, S3\'s 5 GiB later) is InvalidInput before any request', async () => {
    const spy = spySend(client.rx);
    const [result] = await collect(client.rx.uploadFile(fx.bucket, 'huge-parts', file, { partSize: LARGEST_PART + 1 }));
    spy.restore();
    expect(result!.err && result!.val.kind).to.equal('InvalidInput');
    expect(result!.err && result!.val.message).to.match(/partSize/);
    expect(spy.callCount).to.equal(0);
  });

  it('issue 9 item 9: the metadata cache forgets the key when the upload really ends, not when the subscriber leaves', async () => {
    const rx = makeClientThrough(fp.proxy.endpoint, true);
    try {
      await lastValueFrom(rx.putObject(fx.bucket, 'cached', 'old'));
      const before = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'cached', { cache: true }));
      expect(before.ok && before.val.contentLength).to.equal(3);
      // CompleteMultipartUpload reaches the server although the subscriber leaves while it is in flight.
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      let completing = false;
      const stub = interceptSend(rx, async (command, options, send) => {
        if (!(command instanceof CompleteMultipartUploadCommand)) return send(command, options);
        completing = true;
        await held;
        return send(command, {});
      });
      try {
        const subscription = rx.uploadFile(fx.bucket, 'cached', file, { partSize: 5 * MiB }).subscribe();
        await waitFor(() => completing);
        subscription.unsubscribe();
        stub.restore();
        const during = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'cached', { cache: true }));
        expect(during.ok && during.val.contentLength).to.equal(3); // not stored yet
        release();
        await rx.flushCleanups();
      } finally {
        stub.restore();
      }
      const after = await lastValueFrom(rx.getObjectMetadata(fx.bucket, 'cached', { cache: true }));
      expect(after.ok && after.val.fromCache).to.equal(false);
      expect(after.ok && after.val.contentLength).to.equal(twelve.length);
    } finally {
      rx.destroy();
    }
  });
});

function makeClientThrough(endpoint: string, cache = false): RxS3 {
  return makeClient({ endpoint, timeouts: PATIENT, metadataCache: cache });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await delay(10);
}
