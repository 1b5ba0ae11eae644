import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import sinon from 'sinon';
import { buffer } from 'node:stream/consumers';
import { GetObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { filter, take } from 'rxjs';
import type { Result } from 'ts-results';
import type { S3Error, TransferProgress } from '../../lib';
import { abortedUploadId, collect, commandNames, expectRejectedLocally, interceptSend, spySend, useBucket, useTempDir } from '../support/fixtures';

const MiB = 1024 * 1024;
const PART = 5 * MiB;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const randomBuffer = (size: number): Buffer => randomFillSync(Buffer.allocUnsafe(size));

type Event = { kind: string; transferredBytes?: number; totalBytes?: number | undefined; elapsedMs?: number; output?: unknown };

/** Checks the emission contract of a transfer and returns its progress ticks. */
function expectTransferContract(results: ReadonlyArray<Result<Event, S3Error>>, total: number | undefined): TransferProgress[] {
  expect(results.every((r) => r.ok), results.find((r) => r.err)?.val && JSON.stringify((results.find((r) => r.err)!.val as S3Error).message)).to.equal(true);
  const events = results.map((r) => r.val as Event);
  expect(events[events.length - 1]!.kind).to.equal('complete');
  const ticks = events.slice(0, -1).filter((e) => e.kind === 'progress') as TransferProgress[];
  expect(events.slice(0, -1).every((e) => e.kind === 'progress' || e.kind === 'data')).to.equal(true);
  expect(ticks.length).to.be.at.least(total === 0 ? 1 : 2);
  expect(ticks[0]!.transferredBytes).to.equal(0);
  for (let i = 1; i < ticks.length; i += 1) expect(ticks[i]!.transferredBytes).to.be.at.least(ticks[i - 1]!.transferredBytes);
  const last = ticks[ticks.length - 1]!;
  if (total !== undefined) {
    expect(last.transferredBytes).to.equal(total);
    expect(last.totalBytes).to.equal(total);
    expect(ticks.every((t) => t.totalBytes === total && t.transferredBytes <= total)).to.equal(true);
  }
  return ticks;
}

describe('transfers: uploadFile, uploadStream, downloadFile, downloadStream', function () {
  this.timeout(120_000);
  const fx = useBucket('transfers');
  const dir = useTempDir();

  const tempFiles = async (): Promise<string[]> => (await readdir(dir.path)).filter((f) => f.includes('.rxs3-download'));

  for (const size of [0, 1, PART - 1, PART + 1]) {
    it(`round-trips ${size} bytes byte-identically (partSize ${PART})`, async () => {
      const data = randomBuffer(size);
      const source = join(dir.path, `up-${size}`);
      await writeFile(source, data);
      const up = await collect(fx.rx.uploadFile(fx.bucket, `sized/${size}`, source, { partSize: PART }));
      expectTransferContract(up, size);
      const output = (up[up.length - 1]!.val as { output: { parts: number; size: number; etag: string } }).output;
      expect(output.size).to.equal(size);
      expect(output.parts).to.equal(size > PART ? 2 : 1);
      expect(output.etag).to.be.a('string').and.not.equal('');

      const target = join(dir.path, `down-${size}`);
      const down = await collect(fx.rx.downloadFile(fx.bucket, `sized/${size}`, target, { partSize: PART }));
      expectTransferContract(down, size);
      expect(sha256(await readFile(target))).to.equal(sha256(data));
      expect(await tempFiles()).to.deep.equal([]);
    });
  }

  it('round-trips about 64 MiB with default options; progress is throttled and ends at the total', async () => {
    const size = 64 * MiB + 12_345;
    const data = randomBuffer(size);
    const source = join(dir.path, 'big');
    await writeFile(source, data);
    const up = await collect(fx.rx.uploadFile(fx.bucket, 'big', source));
    const ticks = expectTransferContract(up, size);
    // Throttled: at most one tick per 100 ms (the last excepted) and per 1 %.
    for (let i = 1; i < ticks.length - 1; i += 1) {
      expect(ticks[i]!.elapsedMs - ticks[i - 1]!.elapsedMs).to.be.at.least(100);
      expect(ticks[i]!.transferredBytes - ticks[i - 1]!.transferredBytes).to.be.at.least(size * 0.01);
    }
    expect((up[up.length - 1]!.val as { output: { parts: number } }).output.parts).to.equal(9);

    const target = join(dir.path, 'big-down');
    const down = await collect(fx.rx.downloadFile(fx.bucket, 'big', target));
    expectTransferContract(down, size);
    expect(sha256(await readFile(target))).to.equal(sha256(data));
  });

  it('progress is byte-level: ticks arrive while a part is still in flight', async () => {
    const size = PART - 1; // one single PutObject
    const source = join(dir.path, 'inside-part');
    await writeFile(source, randomBuffer(size));
    const up = await collect(fx.rx.uploadFile(fx.bucket, 'inside-part', source, { partSize: PART, progressInterval: 0 }));
    const ticks = expectTransferContract(up, size);
    const inside = ticks.filter((t) => t.transferredBytes > 0 && t.transferredBytes < size);
    expect(inside.length).to.be.at.least(5);

    // A download counts bytes as they are written to the file: the lean path's socket reader writes about 1 MiB at
    // a time (the SDK path, every chunk), so a 5 MiB body ticks at least at every other MiB on either path.
    const down = await collect(fx.rx.downloadFile(fx.bucket, 'inside-part', join(dir.path, 'inside-down'), { progressInterval: 0 }));
    expect(expectTransferContract(down, size).filter((t) => t.transferredBytes > 0 && t.transferredBytes < size).length).to.be.at.least(2);
  });

  it('a part retried after a dropped connection is not counted twice', async () => {
    const size = 2 * PART + 7;
    const data = randomBuffer(size);
    const source = join(dir.path, 'retried');
    await writeFile(source, data);
    const handler = fx.rx.client.config.requestHandler as { handle(request: unknown, options?: unknown): Promise<unknown> };
    const handle = handler.handle.bind(handler);
    let dropped = 0;
    // Fault injection: the first attempt of part 2 sends 1 MiB, then the connection drops.
    const stub = sinon.stub(handler, 'handle').callsFake(async (request: unknown, options?: unknown) => {
      const r = request as { query?: Record<string, string>; body?: Readable };
      if (r.query?.partNumber === '2' && dropped === 0 && r.body instanceof Readable) {
        dropped += 1;
        let consumed = 0;
        for await (const chunk of r.body as AsyncIterable<Buffer>) {
          consumed += chunk.length;
          if (consumed >= MiB) break;
        }
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return handle(request, options);
    });
    let up;
    try {
      up = await collect(fx.rx.uploadFile(fx.bucket, 'retried', source, { partSize: PART, progressInterval: 0, concurrency: 1 }));
    } finally {
      stub.restore();
    }
    expect(dropped).to.equal(1);
    expectTransferContract(up, size);
    const down = join(dir.path, 'retried-down');
    await collect(fx.rx.downloadFile(fx.bucket, 'retried', down));
    expect(sha256(await readFile(down))).to.equal(sha256(data));
  });

  it('downloadFile runs ranged GETs concurrently, each pinned to the ETag', async () => {
    const size = 4 * PART;
    await writeFile(join(dir.path, 'ranged'), randomBuffer(size));
    await collect(fx.rx.uploadFile(fx.bucket, 'ranged', join(dir.path, 'ranged'), { partSize: PART }));
    let inFlight = 0;
    let most = 0;
    const ranges: Array<{ range?: string; ifMatch?: string }> = [];
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (!(command instanceof GetObjectCommand)) return send(command, options);
      ranges.push({ range: command.input.Range, ifMatch: command.input.IfMatch });
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        // Hold each answer briefly so overlapping requests become visible.
        await new Promise((r) => setTimeout(r, 50));
        return await send(command, options);
      } finally {
        inFlight -= 1;
      }
    });
    let down;
    try {
      down = await collect(fx.rx.downloadFile(fx.bucket, 'ranged', join(dir.path, 'ranged-down'), { partSize: PART, concurrency: 3 }));
    } finally {
      stub.restore();
    }
    expectTransferContract(down, size);
    expect(most).to.equal(3);
    expect(ranges.map((r) => r.range).sort()).to.deep.equal([0, 1, 2, 3].map((i) => `bytes=${i * PART}-${(i + 1) * PART - 1}`).sort());
    const { etag, requests } = (down[down.length - 1]!.val as { output: { etag: string; requests: number } }).output;
    expect(requests).to.equal(4);
    expect(ranges.every((r) => r.ifMatch === etag)).to.equal(true);
  });

  it('an injected failure on one range fails the download cleanly: one Err, no temp file, destination untouched', async () => {
    const target = join(dir.path, 'keep-me');
    await writeFile(target, 'previous content');
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof GetObjectCommand && command.input.Range?.startsWith(`bytes=${2 * PART}-`)) {
        throw Object.assign(new Error('Internal error'), { name: 'InternalError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
      }
      return send(command, options);
    });
    let results;
    try {
      results = await collect(fx.rx.downloadFile(fx.bucket, 'ranged', target, { partSize: PART }));
    } finally {
      stub.restore();
    }
    const last = results[results.length - 1]!;
    expect(last.err && last.val.kind).to.equal('ServiceError');
    expect(results.slice(0, -1).every((r) => r.ok && r.val.kind === 'progress')).to.equal(true);
    expect(await readFile(target, 'utf8')).to.equal('previous content');
    expect(await tempFiles()).to.deep.equal([]);
  });

  it('an object overwritten during a download fails it (If-Match) instead of mixing versions', async () => {
    // 10 MiB: the embedded server refuses single request bodies over 11 MiB.
    expect((await collect(fx.rx.putObject(fx.bucket, 'changing', randomBuffer(2 * PART))))[0]!.ok).to.equal(true);
    let overwritten = false;
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      if (command instanceof GetObjectCommand && !overwritten) {
        overwritten = true;
        await send(new PutObjectCommand({ Bucket: fx.bucket, Key: 'changing', Body: randomBuffer(2 * PART) }));
      }
      return send(command, options);
    });
    let results;
    try {
      results = await collect(fx.rx.downloadFile(fx.bucket, 'changing', join(dir.path, 'changing'), { partSize: PART }));
    } finally {
      stub.restore();
    }
    const last = results[results.length - 1]!;
    expect(last.err && last.val.kind).to.equal('PreconditionFailed');
    expect(await tempFiles()).to.deep.equal([]);
    await stat(join(dir.path, 'changing')).then(() => expect.fail('the destination must not exist'), () => undefined);
  });

  it('unsubscribing mid-upload aborts the multipart upload: no emission after, UploadPart on the old UploadId is NoSuchUpload', async () => {
    const source = join(dir.path, 'cancel-up');
    await writeFile(source, randomBuffer(6 * PART));
    const spy = spySend(fx.rx);
    const seen: unknown[] = [];
    let uploadId: string | undefined;
    try {
      await new Promise<void>((resolve) => {
        const subscription = fx.rx.uploadFile(fx.bucket, 'cancelled', source, { partSize: PART, concurrency: 2, progressInterval: 0 }).subscribe({
          next: (r) => {
            seen.push(r);
            if (r.ok && r.val.kind === 'progress' && r.val.transferredBytes > PART + MiB) {
              subscription.unsubscribe();
              resolve();
            }
          },
          error: (e) => seen.push(e),
        });
      });
      const count = seen.length;
      await fx.rx.flushCleanups();
      expect(seen).to.have.length(count);
      uploadId = await abortedUploadId(spy);
    } finally {
      spy.restore();
    }
    expect(uploadId).to.be.a('string');
    const probe = await fx.rx.client
      .send(new UploadPartCommand({ Bucket: fx.bucket, Key: 'cancelled', UploadId: uploadId, PartNumber: 1, Body: Buffer.from('x') }))
      .then(() => 'accepted', (e: { name?: string }) => e.name);
    expect(probe).to.equal('NoSuchUpload');
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'cancelled'));
    expect(head!.err && head!.val.kind).to.equal('NoSuchKey');
  });

  it('a part that fails for good fails the upload cleanly: one Err, the upload aborted, no object', async () => {
    const source = join(dir.path, 'failing-part');
    await writeFile(source, randomBuffer(3 * PART));
    const calls: string[] = [];
    let uploadId: string | undefined;
    const stub = interceptSend(fx.rx, async (command, options, send) => {
      calls.push((command as object).constructor.name);
      if (command instanceof UploadPartCommand && command.input.PartNumber === 2) {
        uploadId = command.input.UploadId;
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
      }
      return send(command, options);
    });
    let results;
    try {
      results = await collect(fx.rx.uploadFile(fx.bucket, 'failing-part', source, { partSize: PART }));
    } finally {
      stub.restore();
    }
    const last = results[results.length - 1]!;
    expect(last.err && last.val.kind).to.equal('AccessDenied');
    expect(results.slice(0, -1).every((r) => r.ok && r.val.kind === 'progress')).to.equal(true);
    expect(calls).to.include('AbortMultipartUploadCommand');
    expect(calls).to.not.include('CompleteMultipartUploadCommand');
    const probe = await fx.rx.client
      .send(new UploadPartCommand({ Bucket: fx.bucket, Key: 'failing-part', UploadId: uploadId, PartNumber: 1, Body: Buffer.from('x') }))
      .then(() => 'accepted', (e: { name?: string }) => e.name);
    expect(probe).to.equal('NoSuchUpload');
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'failing-part'));
    expect(head!.err && head!.val.kind).to.equal('NoSuchKey');
  });

  it('unsubscribing mid-download leaves no temp file and the destination untouched', async () => {
    const target = join(dir.path, 'cancel-down');
    await writeFile(target, 'old');
    const seen: unknown[] = [];
    await new Promise<void>((resolve) => {
      const subscription = fx.rx.downloadFile(fx.bucket, 'big', target, { progressInterval: 0 }).subscribe({
        next: (r) => {
          seen.push(r);
          if (r.ok && r.val.kind === 'progress' && r.val.transferredBytes > 10 * MiB) {
            subscription.unsubscribe();
            resolve();
          }
        },
      });
    });
    const count = seen.length;
    await fx.rx.flushCleanups();
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).to.have.length(count);
    expect(await tempFiles()).to.deep.equal([]);
    expect(await readFile(target, 'utf8')).to.equal('old');
  });

  it('uploadStream of unknown length: totalBytes undefined, multipart with growing parts, byte-identical', async () => {
    const data = randomBuffer(2 * PART + 3);
    const stream = Readable.from((function* () {
      for (let i = 0; i < data.length; i += 64 * 1024) yield data.subarray(i, i + 64 * 1024);
    })());
    const up = await collect(fx.rx.uploadStream(fx.bucket, 'streamed', stream, { partSize: PART }));
    const ticks = expectTransferContract(up, undefined);
    expect(ticks.slice(0, -1).every((t) => t.totalBytes === undefined)).to.equal(true);
    expect(ticks[ticks.length - 1]!.transferredBytes).to.equal(data.length);
    expect((up[up.length - 1]!.val as { output: { parts: number } }).output.parts).to.equal(3);
    const [got] = await collect(fx.rx.getObject(fx.bucket, 'streamed'));
    expect(sha256(await buffer(got!.unwrap().body))).to.equal(sha256(data));
  });

  it('uploadStream of a short stream is one PutObject; with contentLength the total is known', async () => {
    const spy = spySend(fx.rx);
    try {
      const up = await collect(fx.rx.uploadStream(fx.bucket, 'short', Readable.from([Buffer.from('tiny')]), { contentLength: 4 }));
      expectTransferContract(up, 4);
      expect(commandNames(spy)).to.deep.equal(['PutObjectCommand']);
    } finally {
      spy.restore();
    }
  });

  it('uploadStream whose stream is shorter than its contentLength fails and stores nothing', async () => {
    const up = await collect(fx.rx.uploadStream(fx.bucket, 'liar', Readable.from([Buffer.from('abc')]), { contentLength: 10 }));
    const last = up[up.length - 1]!;
    expect(last.err && last.val.kind).to.equal('Integrity');
    const [head] = await collect(fx.rx.getObjectMetadata(fx.bucket, 'liar'));
    expect(head!.err && head!.val.kind).to.equal('NoSuchKey');
  });

  it('uploadStream from a file stream matches uploadFile', async () => {
    const source = join(dir.path, 'up-5242881');
    const up = await collect(fx.rx.uploadStream(fx.bucket, 'from-fs', createReadStream(source), { partSize: PART }));
    expectTransferContract(up, undefined);
    expect((up[up.length - 1]!.val as { output: { size: number } }).output.size).to.equal(PART + 1);
  });

  it('downloadStream emits the bytes in order with progress, then complete', async () => {
    const results = await collect(fx.rx.downloadStream(fx.bucket, 'sized/5242881'));
    expectTransferContract(results, PART + 1);
    const chunks = results.flatMap((r) => (r.ok && r.val.kind === 'data' ? [r.val.chunk] : []));
    expect(sha256(Buffer.concat(chunks))).to.equal(sha256(await readFile(join(dir.path, 'up-5242881'))));
  });

  it('downloadStream: take(n) unsubscribes, destroys the body and emits nothing more', async () => {
    const results = await collect(fx.rx.downloadStream(fx.bucket, 'big').pipe(filter((r) => r.ok && r.val.kind === 'data'), take(2)));
    expect(results).to.have.length(2);
    await fx.rx.flushCleanups();
  });

  describe('bad input: a clear Err and no request', () => {
    it('a missing source file is Err(LocalFile)', async () => {
      const missing = join(dir.path, 'does-not-exist');
      await expectRejectedLocally(fx.rx, 'LocalFile', [fx.rx.uploadFile(fx.bucket, 'k', missing)]);
      const [result] = await collect(fx.rx.uploadFile(fx.bucket, 'k', missing));
      expect(result!.err && result!.val.message).to.equal(`${missing}: no such file or directory`);
    });

    it('a directory as the source is Err(LocalFile)', async () => {
      await expectRejectedLocally(fx.rx, 'LocalFile', [fx.rx.uploadFile(fx.bucket, 'k', dir.path)]);
    });

    it('a missing destination directory is Err(LocalFile)', async () => {
      await expectRejectedLocally(fx.rx, 'LocalFile', [fx.rx.downloadFile(fx.bucket, 'big', join(dir.path, 'no-dir', 'file'))]);
    });

    it('a part size below 5 MiB is Err(InvalidInput)', async () => {
      await expectRejectedLocally(fx.rx, 'InvalidInput', [
        fx.rx.uploadFile(fx.bucket, 'k', join(dir.path, 'big'), { partSize: 5 * MiB - 1 }),
        fx.rx.downloadFile(fx.bucket, 'k', join(dir.path, 'x'), { partSize: 1024 }),
        fx.rx.uploadFile(fx.bucket, 'k', join(dir.path, 'big'), { concurrency: 0 }),
      ]);
    });

    it('a key that does not exist is Err(NoSuchKey) and leaves no file', async () => {
      const target = join(dir.path, 'never');
      const results = await collect(fx.rx.downloadFile(fx.bucket, 'no-such-key', target));
      expect(results).to.have.length(1);
      expect(results[0]!.err && results[0]!.val.kind).to.equal('NoSuchKey');
      expect(await tempFiles()).to.deep.equal([]);
      await stat(target).then(() => expect.fail('no file expected'), () => undefined);
    });
  });
});
