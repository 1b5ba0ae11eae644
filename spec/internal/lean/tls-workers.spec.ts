import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { lastValueFrom, type Subscription } from 'rxjs';
import type { DownloadEvent, Result, RxS3, RxS3Options, S3Error } from '../../../lib';
import { isRetryable, toS3Error } from '../../../lib/errors';
import { contextOf } from '../../../lib/internal/context';
import type { LeanDataPlane } from '../../../lib/internal/lean/data-plane';
import { setTlsThreadIdleMs, tlsWorkerCounters, workerTlsOptions } from '../../../lib/internal/lean/tls-workers';
import { watchedHandlerOptions } from '../../../lib/internal/timeouts';
import { expectOneErr, expectSaneProgress, tempFiles } from '../../faults/support';
import { FaultProxy, requests } from '../../support/fault-proxy';
import { bytes, collect, useBucket, useTempDir } from '../../support/fixtures';
import { makeClient, rxOptions } from '../../support/server';
import { TlsFront } from '../../support/tls-front';

const MiB = 1024 * 1024;
/** With `RXS3_DATA_PLANE=sdk` every request goes through the SDK: the threads must never be used. */
const sdkLane = process.env.RXS3_DATA_PLANE === 'sdk';

function dataOf(rx: RxS3): LeanDataPlane {
  return contextOf(rx)!.data as LeanDataPlane;
}

describe('workerTlsOptions: which https agents the TLS reader threads can stand in for', () => {
  it("takes rx-s3's own agent on every Node version (Node 22 and later add defaultPort and protocol to its options)", () => {
    const agent = watchedHandlerOptions(undefined).httpsAgent;
    expect(workerTlsOptions(agent.options as Readonly<Record<string, unknown>>)).to.deep.equal({});
    expect(workerTlsOptions({ keepAlive: true, defaultPort: 443, protocol: 'https:', ca: 'PEM', rejectUnauthorized: false })).to.deep.equal({ ca: 'PEM', rejectUnauthorized: false });
  });

  it('refuses an agent with an option a thread cannot be given (a function)', () => {
    expect(workerTlsOptions({ keepAlive: true, checkServerIdentity: () => undefined })).to.equal(undefined);
  });
});

describe('the lean data plane over TLS: downloads into files on worker threads', function () {
  this.timeout(30_000);
  const fx = useBucket('tlsw');
  const dir = useTempDir();
  const twenty = bytes(20 * MiB, 20);
  const small = bytes(3 * MiB, 3);
  let proxy: FaultProxy;
  let front: TlsFront;
  const clients: RxS3[] = [];
  /** A client of the TLS front (trusting its certificate), through the fault proxy to the suite's server. */
  const client = (overrides: RxS3Options = {}): RxS3 => {
    const rx = makeClient({ endpoint: front.endpoint, ca: front.ca, timeouts: { connectMs: 2_000, idleMs: 2_000 }, ...overrides });
    clients.push(rx);
    return rx;
  };
  const complete = (results: ReadonlyArray<Result<DownloadEvent, S3Error>>): { requests: number; size: number } => {
    const last = results[results.length - 1]!;
    expect(last.ok, last.err ? `${last.val.kind}: ${last.val.message}` : '').to.equal(true);
    return (last.val as { output: { requests: number; size: number } }).output;
  };
  const ranges = (): string[] => proxy.seen.filter(requests.get).map((r) => String(r.headers.range ?? 'whole'));

  before(async () => {
    proxy = await FaultProxy.start();
    front = await TlsFront.start(proxy.endpoint);
    for (const [key, data] of [['twenty', twenty], ['small', small]] as const) {
      const path = join(dir.path, `${key}.in`);
      await writeFile(path, data);
      const put = await lastValueFrom(fx.rx.uploadFile(fx.bucket, key, path, { partSize: 5 * MiB }));
      expect(put.ok).to.equal(true);
    }
  });
  afterEach(() => {
    proxy.reset();
    front.reset();
    for (const rx of clients.splice(0)) rx.destroy();
  });
  after(async () => {
    await front.stop();
    await proxy.stop();
  });

  it('a 20 MiB object in 5 MiB ranges: byte-identical, every range on the threads, progress adds up to the size', async () => {
    const before = { ...tlsWorkerCounters };
    const rx = client();
    const target = join(dir.path, 'twenty.out');
    const results = await collect(rx.downloadFile(fx.bucket, 'twenty', target, { partSize: 5 * MiB, progressInterval: 0 }));
    expect(complete(results).requests).to.equal(4);
    expectSaneProgress(results, twenty.length);
    expect((await readFile(target)).equals(twenty)).to.equal(true);
    expect(front.connections, 'TLS connections').to.be.above(0);
    if (sdkLane) {
      expect(tlsWorkerCounters.requests - before.requests, 'requests on the threads').to.equal(0);
      expect(dataOf(rx).routes.lean).to.equal(0);
    } else {
      expect(tlsWorkerCounters.requests - before.requests, 'requests on the threads').to.equal(4);
      expect(tlsWorkerCounters.writtenBytes - before.writtenBytes, 'bytes written by the threads').to.equal(twenty.length);
      expect(dataOf(rx).routes.sdk, 'SDK sends').to.equal(0);
    }
    // A second download reuses the threads and their keep-alive connections.
    const threads = tlsWorkerCounters.threads;
    const connections = front.connections;
    complete(await collect(rx.downloadFile(fx.bucket, 'twenty', join(dir.path, 'twenty2.out'), { partSize: 5 * MiB })));
    expect(tlsWorkerCounters.threads).to.equal(threads);
    if (!sdkLane) expect(front.connections, 'connections opened for the second download').to.equal(connections);
    expect((await readFile(join(dir.path, 'twenty2.out'))).equals(twenty)).to.equal(true);
  });

  it('verifies on the threads: the CRC32 of every write comes back with it, so one GET or ranged GETs check the object (a wrong digest is Err(Integrity), no file)', async () => {
    const before = tlsWorkerCounters.requests;
    const rx = client();
    const target = join(dir.path, 'small.out');
    complete(await collect(rx.downloadFile(fx.bucket, 'small', target)));
    expect((await readFile(target)).equals(small)).to.equal(true);
    expect(tlsWorkerCounters.requests - before).to.equal(sdkLane ? 0 : 1);
    // The same bytes under a digest that is not theirs (written without rx-s3's own, with a wrong one in metadata).
    const wrong = join(dir.path, 'wrong.in');
    await writeFile(wrong, twenty);
    const put = await lastValueFrom(fx.rx.uploadFile(fx.bucket, 'wrong-digest', wrong, { partSize: 5 * MiB, integrity: false, metadata: { 'rxs3-crc32': 'AAAAAA==' } }));
    expect(put.ok).to.equal(true);
    for (const partSize of [5 * MiB, 32 * MiB]) {
      const bad = join(dir.path, `wrong-${partSize}.out`);
      const results = await collect(rx.downloadFile(fx.bucket, 'wrong-digest', bad, { partSize }));
      const last = results[results.length - 1]!;
      expect(last.err && last.val.kind, `partSize ${partSize}`).to.equal('Integrity');
      expect(await tempFiles(dir.path)).to.deep.equal([]);
    }
  });

  it('a connection reset mid-body resumes from the first byte not written: byte-identical, 5 requests', async () => {
    const before = tlsWorkerCounters.requests;
    front.cutAfter(3 * MiB);
    const rx = client();
    const target = join(dir.path, 'reset.out');
    const results = await collect(rx.downloadFile(fx.bucket, 'twenty', target, { partSize: 5 * MiB, concurrency: 1, progressInterval: 0 }));
    expect(front.pendingCuts, 'the cut happened').to.equal(0);
    expect(complete(results).requests).to.equal(5);
    expectSaneProgress(results, twenty.length);
    expect((await readFile(target)).equals(twenty)).to.equal(true);
    const seen = ranges();
    expect(seen[0]).to.equal('bytes=0-5242879');
    const resumedAt = Number(/^bytes=(\d+)-5242879$/.exec(seen[1] ?? '')?.[1]);
    expect(resumedAt, seen.join(' ')).to.be.within(1, 3 * MiB);
    expect(tlsWorkerCounters.requests - before).to.equal(sdkLane ? 0 : 5);
  });

  it("a cut connection's error comes back from the thread with its code, after the bytes before it were written and reported", async function () {
    if (sdkLane) this.skip();
    const rx = client();
    const handle = await open(join(dir.path, 'direct.out'), 'w');
    let written = 0;
    front.cutAfter(2 * MiB);
    try {
      const command = new GetObjectCommand({ Bucket: fx.bucket, Key: 'twenty', Range: `bytes=0-${10 * MiB - 1}` });
      const failure = await dataOf(rx)
        .getIntoFile(command, { fd: handle.fd, position: 0, path: 'direct.out', maxBytes: 10 * MiB }, (n, chunks) => {
          written += n;
          expect(chunks).to.have.length(0);
        }, new AbortController().signal)
        .then(() => undefined, (error: unknown) => error as { code?: string; message?: string; $metadata?: { attempts?: number } });
      // A reset reaches a TLS socket as ECONNRESET, or (when it came while the reader was paused) as the stream's end.
      expect(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'], failure?.message).to.include(failure?.code);
      expect(failure?.$metadata?.attempts).to.equal(1);
      expect(written).to.be.within(1, 2 * MiB);
      const got = await readFile(join(dir.path, 'direct.out'));
      expect(got.length).to.equal(written);
      expect(got.equals(twenty.subarray(0, written))).to.equal(true);
    } finally {
      await handle.close();
    }
  });

  it('a refused connection comes back from the thread as ECONNREFUSED (syscall connect), after the retries, and maps as over http', async function () {
    if (sdkLane) this.skip();
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const handle = await open(join(dir.path, 'refused.out'), 'w');
    try {
      const failures: Array<{ code?: string; syscall?: string; $metadata?: { attempts?: number } } | undefined> = [];
      for (const endpoint of [`https://127.0.0.1:${closed}`, `http://127.0.0.1:${closed}`]) {
        const rx = client({ endpoint });
        const command = new GetObjectCommand({ Bucket: fx.bucket, Key: 'twenty', Range: 'bytes=0-99' });
        failures.push(await dataOf(rx)
          .getIntoFile(command, { fd: handle.fd, position: 0, path: 'refused.out', maxBytes: 100 }, () => undefined, new AbortController().signal)
          .then(() => undefined, (error: unknown) => error as { code?: string; syscall?: string; $metadata?: { attempts?: number } }));
      }
      const [tls, http] = failures;
      expect(tls?.code).to.equal('ECONNREFUSED');
      expect(tls?.syscall).to.equal('connect');
      expect(tls?.$metadata?.attempts).to.equal(3);
      const context = { operation: 'downloadFile', bucket: fx.bucket, key: 'twenty' };
      const [a, b] = [toS3Error(tls, context), toS3Error(http, context)];
      expect({ kind: a.kind, code: a.code, retryable: isRetryable(a) }).to.deep.equal({ kind: b.kind, code: b.code, retryable: isRetryable(b) });
      expect(a.kind).to.equal('Network');
    } finally {
      await handle.close();
    }
  });

  it('a body that stalls on every attempt ends in one Err(Timeout) within the idle limits, no temp file', async () => {
    proxy.inject({ match: requests.get, skip: 1, times: Infinity, action: { kind: 'stall', afterBytes: 0 } });
    proxy.inject({ match: requests.get, action: { kind: 'stall', afterBytes: 256 * 1024 } });
    const rx = client({ timeouts: { connectMs: 2_000, idleMs: 300 } });
    const target = join(dir.path, 'stall.out');
    const started = Date.now();
    const results = await collect(rx.downloadFile(fx.bucket, 'twenty', target, { partSize: 5 * MiB }));
    expectOneErr(results, 'Timeout');
    expect(Date.now() - started).to.be.below(10_000);
    expect(await tempFiles(dir.path)).to.deep.equal([]);
  });

  it('unsubscribing mid-download aborts the requests on the threads: nothing emitted after, no temp file', async () => {
    proxy.inject({ match: requests.get, times: Infinity, action: { kind: 'stall', afterBytes: 2 * MiB } });
    const rx = client({ timeouts: { connectMs: 2_000, idleMs: 20_000 } });
    const before = tlsWorkerCounters.requests;
    const seen: Array<Result<DownloadEvent, S3Error>> = [];
    let subscription: Subscription | undefined;
    const progressed = new Promise<void>((resolve) => {
      subscription = rx.downloadFile(fx.bucket, 'twenty', join(dir.path, 'unsub.out'), { partSize: 5 * MiB, progressInterval: 0 }).subscribe((r) => {
        seen.push(r);
        if (r.ok && r.val.kind === 'progress' && r.val.transferredBytes >= 4 * MiB) resolve();
      });
    });
    await progressed;
    subscription!.unsubscribe();
    const emitted = seen.length;
    await waitFor(async () => (await tempFiles(dir.path)).length === 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.length, 'emitted after unsubscribe').to.equal(emitted);
    expect(seen.every((r) => r.ok)).to.equal(true);
    expect(await tempFiles(dir.path)).to.deep.equal([]);
    if (!sdkLane) expect(tlsWorkerCounters.requests - before).to.equal(4);
  });

  it('403 and 404 answers to the GETs become the same Err as over http', async () => {
    const http = makeClient({ endpoint: proxy.endpoint, timeouts: { connectMs: 2_000, idleMs: 2_000 } });
    clients.push(http);
    const rx = client();
    for (const [status, code] of [[403, 'AccessDenied'], [404, 'NoSuchKey']] as const) {
      const kinds: string[] = [];
      for (const each of [http, rx]) {
        proxy.reset();
        proxy.inject({ match: requests.get, times: Infinity, action: { kind: 'error', status, code } });
        const results = await collect(each.downloadFile(fx.bucket, 'twenty', join(dir.path, `${code}.out`), { partSize: 5 * MiB }));
        const error = results[results.length - 1]!;
        expect(error.err, code).to.equal(true);
        expect(results.filter((r) => r.err)).to.have.length(1);
        kinds.push(`${(error.val as S3Error).kind}/${(error.val as S3Error).code}`);
      }
      expect(kinds[1], code).to.equal(kinds[0]);
    }
    expect(await tempFiles(dir.path)).to.deep.equal([]);
  });

  it('threads idle for the idle limit end (their memory goes back), and the next download starts them again', async function () {
    if (sdkLane) this.skip();
    const previous = setTlsThreadIdleMs(150);
    try {
      const rx = client();
      complete(await collect(rx.downloadFile(fx.bucket, 'small', join(dir.path, 'idle-1.out'))));
      const before = { ...tlsWorkerCounters };
      const deadline = Date.now() + 5_000;
      while (tlsWorkerCounters.exited - before.exited < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(tlsWorkerCounters.exited - before.exited, 'threads ended while idle').to.be.at.least(1);
      const target = join(dir.path, 'idle-2.out');
      complete(await collect(rx.downloadFile(fx.bucket, 'small', target)));
      expect((await readFile(target)).equals(small)).to.equal(true);
      expect(tlsWorkerCounters.threads - before.threads, 'threads started again').to.be.at.least(1);
      expect(tlsWorkerCounters.requests - before.requests, 'the GET on the new threads').to.equal(1);
    } finally {
      setTlsThreadIdleMs(previous);
    }
  });

  it('tlsWorkers: false keeps the ranges on node:https on the main thread', async () => {
    const before = { ...tlsWorkerCounters };
    const rx = client({ tlsWorkers: false });
    const target = join(dir.path, 'off.out');
    complete(await collect(rx.downloadFile(fx.bucket, 'twenty', target, { partSize: 5 * MiB })));
    expect((await readFile(target)).equals(twenty)).to.equal(true);
    expect(tlsWorkerCounters.requests).to.equal(before.requests);
    expect(tlsWorkerCounters.threads).to.equal(before.threads);
  });

  it('a process that downloads over TLS on the threads exits by itself, with and without destroy()', async function () {
    this.timeout(60_000);
    const script = `
      const { RxS3 } = require(${JSON.stringify(join(__dirname, '..', '..', '..', 'lib'))});
      const { tlsWorkerCounters } = require(${JSON.stringify(join(__dirname, '..', '..', '..', 'lib', 'internal', 'lean', 'tls-workers'))});
      const { lastValueFrom } = require('rxjs');
      (async () => {
        const rx = new RxS3(JSON.parse(process.env.SPEC_OPTIONS));
        const last = await lastValueFrom(rx.downloadFile(process.env.SPEC_BUCKET, 'twenty', process.env.SPEC_TARGET, { partSize: 5 * 1024 * 1024 }));
        console.log(JSON.stringify({ ok: last.ok, requests: tlsWorkerCounters.requests }));
        if (process.env.SPEC_DESTROY === '1') rx.destroy();
      })();`;
    const options = rxOptions({ endpoint: front.endpoint, ca: front.ca });
    const run = (destroy: boolean): Promise<{ code: number | null; out: string; ms: number }> => new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
        env: { ...process.env, SPEC_OPTIONS: JSON.stringify(options), SPEC_BUCKET: fx.bucket, SPEC_TARGET: join(dir.path, `exit-${destroy}.out`), SPEC_DESTROY: destroy ? '1' : '0' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the process did not exit (destroy: ${destroy}); it printed ${out}`));
      }, 45_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out, ms: Date.now() - started });
      });
    });
    const [withDestroy, without] = await Promise.all([run(true), run(false)]);
    for (const result of [withDestroy, without]) {
      expect(result.code, result.out).to.equal(0);
      const printed = JSON.parse(result.out.trim().split('\n').pop()!) as { ok: boolean; requests: number };
      expect(printed.ok).to.equal(true);
      expect(printed.requests).to.equal(sdkLane ? 0 : 4);
    }
    expect((await readFile(join(dir.path, 'exit-false.out'))).equals(twenty)).to.equal(true);
  });
});

async function waitFor(condition: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
