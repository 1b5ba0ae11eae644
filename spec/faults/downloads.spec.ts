import fs from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { lastValueFrom, type Observable } from 'rxjs';
import sinon from 'sinon';
import type { DownloadEvent, Result, S3Error, StreamEvent } from '../../lib';
import { bytes, collect, useBucket, useTempDir } from '../support/fixtures';
import { requests } from '../support/fault-proxy';
import { expectOneErr, expectSaneProgress, tempFiles, useFaultClient, useFaultProxy } from './support';

const MiB = 1024 * 1024;

describe('faults: downloadFile and downloadStream', function () {
  this.timeout(30_000);
  const fx = useBucket('fault-down');
  const dir = useTempDir();
  const fp = useFaultProxy();
  const client = useFaultClient(fp);
  const eight = bytes(8 * MiB, 11);
  const twelve = bytes(12 * MiB, 12);

  before(async () => {
    for (const [key, data] of [['eight', eight], ['twelve', twelve]] as const) {
      const put = await lastValueFrom(fx.rx.uploadFile(fx.bucket, key, await writeTemp(dir.path, key, data), { partSize: 5 * MiB }));
      expect(put.ok).to.equal(true);
    }
  });

  const complete = (results: ReadonlyArray<Result<DownloadEvent, S3Error>>) => {
    const last = results[results.length - 1]!;
    expect(last.ok, last.err ? last.val.message : '').to.equal(true);
    return (last.val as { output: { requests: number; size: number } }).output;
  };
  const ranges = (): string[] => fp.proxy.seen.filter(requests.get).map((r) => String(r.headers.range ?? 'whole'));

  it('a single GET broken at 3 MiB of 8 resumes at the byte written: byte-identical, progress ends at 8 MiB, requests counts 2', async () => {
    fp.proxy.inject({ match: requests.get, action: { kind: 'reset-response', afterBytes: 3 * MiB } });
    const target = join(dir.path, 'eight.out');
    const results = await collect(client.rx.downloadFile(fx.bucket, 'eight', target, { progressInterval: 0 }));
    expect(complete(results).requests).to.equal(2);
    expectSaneProgress(results, eight.length);
    expect((await readFile(target)).equals(eight)).to.equal(true);
    const [first, second] = ranges();
    expect(first).to.equal('whole');
    const resumedAt = Number(/^bytes=(\d+)-8388607$/.exec(second ?? '')?.[1]);
    expect(resumedAt).to.be.within(1, 3 * MiB);
    expect(await tempFiles(dir.path)).to.deep.equal([]);
  });

  it('ranged: a truncated range and a stalled range both resume where they stopped; byte-identical; every request counted', async () => {
    fp.proxy.inject(
      { match: (r) => requests.get(r) && r.headers.range === 'bytes=0-5242879', action: { kind: 'truncate', afterBytes: 2 * MiB } },
      { match: (r) => requests.get(r) && r.headers.range === `bytes=${5 * MiB}-10485759`, action: { kind: 'stall', afterBytes: MiB } },
    );
    const target = join(dir.path, 'twelve.out');
    const results = await collect(client.rx.downloadFile(fx.bucket, 'twelve', target, { partSize: 5 * MiB, progressInterval: 0 }));
    expect(complete(results).requests).to.equal(5);
    expect(fp.proxy.applied).to.deep.equal([1, 1]);
    expectSaneProgress(results, twelve.length);
    expect((await readFile(target)).equals(twelve)).to.equal(true);
    const resumed = ranges().filter((r) => !['bytes=0-5242879', 'bytes=5242880-10485759', 'bytes=10485760-12582911'].includes(r));
    expect(resumed).to.have.length(2);
  });

  it('a server restart mid-download (connections cut, port closed for 200 ms): resumed, byte-identical', async () => {
    fp.proxy.inject({ match: requests.get, action: { kind: 'stall', afterBytes: 2 * MiB } });
    const target = join(dir.path, 'restart.out');
    const download = collect(client.rx.downloadFile(fx.bucket, 'eight', target, { timeouts: { idleMs: 5_000 } }));
    await waitFor(() => fp.proxy.count(requests.get) === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fp.proxy.restart(200);
    const results = await download;
    complete(results);
    expect((await readFile(target)).equals(eight)).to.equal(true);
  });

  it('a range that stalls on every attempt without a byte: one Err(Timeout), no temp file, the destination untouched', async () => {
    fp.proxy.inject({ match: requests.get, skip: 1, times: Infinity, action: { kind: 'stall', afterBytes: 0 } });
    fp.proxy.inject({ match: requests.get, action: { kind: 'stall', afterBytes: 256 * 1024 } });
    const target = join(dir.path, 'keep.out');
    await writeFile(target, 'previous');
    const started = Date.now();
    const results = await collect(client.rx.downloadFile(fx.bucket, 'eight', target));
    expectOneErr(results, 'Timeout');
    expectSaneProgress(results, eight.length);
    expect(Date.now() - started).to.be.below(10_000);
    expect(await readFile(target, 'utf8')).to.equal('previous');
    expect(await tempFiles(dir.path)).to.deep.equal([]);
  });

  it('a deadline ends a slow download with Err(Timeout) and no temp file', async () => {
    fp.proxy.inject({ match: requests.get, times: Infinity, action: { kind: 'hang' } });
    const target = join(dir.path, 'deadline.out');
    const results = await collect(client.rx.downloadFile(fx.bucket, 'eight', target, { timeouts: { deadlineMs: 400, idleMs: 0 } }));
    expect(expectOneErr(results, 'Timeout').message).to.match(/deadline of 400 ms/);
    expect(await tempFiles(dir.path)).to.deep.equal([]);
  });

  it('a failed disk write (ENOSPC) is one Err(LocalFile), no unhandled rejection, no temp file', async () => {
    const probe = await open(join(dir.path, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { writev: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const enospc = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    // Both ways a download writes: FileHandle.writev (the SDK path) and fs.writev (the lean path's socket reader).
    const stub = sinon.stub(proto, 'writev').callsFake(() => Promise.reject(enospc()));
    const lean = sinon.stub(fs, 'writev').callsFake(((...args: unknown[]) => {
      const callback = args[args.length - 1] as (error: Error) => void;
      process.nextTick(() => callback(enospc()));
    }) as unknown as typeof fs.writev);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const results = await collect(client.rx.downloadFile(fx.bucket, 'twelve', join(dir.path, 'full.out'), { partSize: 5 * MiB }));
      expect(expectOneErr(results, 'LocalFile').message).to.match(/no space left/);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      stub.restore();
      lean.restore();
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).to.deep.equal([]);
    expect(await tempFiles(dir.path)).to.deep.equal([]);
  });

  it('downloadStream: a truncated body resumes from the next byte (If-Match), no byte twice; always stalled is one Err(Timeout)', async () => {
    fp.proxy.inject({ match: requests.get, action: { kind: 'truncate', afterBytes: 3 * MiB } });
    const results = await collect(client.rx.downloadStream(fx.bucket, 'eight', { progressInterval: 0 }));
    const chunks = results.flatMap((r) => (r.ok && r.val.kind === 'data' ? [r.val.chunk] : []));
    expect(Buffer.concat(chunks).equals(eight)).to.equal(true);
    expectSaneProgress(results, eight.length);
    const resumed = fp.proxy.seen.filter(requests.get)[1]!;
    expect(resumed.headers.range).to.match(/^bytes=\d+-$/);
    expect(resumed.headers['if-match']).to.be.a('string');

    fp.proxy.reset();
    fp.proxy.inject({ match: requests.get, times: Infinity, action: { kind: 'stall', afterBytes: 0 } });
    expectOneErr(await collect(client.rx.downloadStream(fx.bucket, 'eight')), 'Timeout');
  });

  it('downloadStream with writeTo: a slow writer paces the download (bounded buffering), not a stall', async () => {
    let most = 0;
    const received: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        most = Math.max(most, this.writableLength);
        setTimeout(callback, 2);
      },
    });
    const results = await collect(client.rx.downloadStream(fx.bucket, 'twelve', { writeTo: slow }) as Observable<Result<StreamEvent, S3Error>>);
    complete(results as never);
    expect(results.some((r) => r.ok && r.val.kind === 'data')).to.equal(false);
    expect(Buffer.concat(received).equals(twelve)).to.equal(true);
    expect(most, 'bytes queued in the writer').to.be.below(1 * MiB);
  });
});

async function writeTemp(dir: string, name: string, data: Buffer): Promise<string> {
  const path = join(dir, `${name}.src`);
  await writeFile(path, data);
  return path;
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
