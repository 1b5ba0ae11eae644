import fs, { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import net, { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'chai';
import { lastValueFrom } from 'rxjs';
import sinon from 'sinon';
import { exchange, getIntoFile, readerCounters, SocketPool, type GetIntoFileResult, type SignedGet, type SocketLimits } from '../../../lib/internal/lean/socket-reader';
import { releaseFreeStaging, setStagingLimit, stagingStats } from '../../../lib/internal/lean/socket-staging';
import { bytes, useBucket, useTempDir } from '../../support/fixtures';
import { FaultProxy, requests } from '../../support/fault-proxy';
import { server } from '../../support/server';

const MiB = 1024 * 1024;
const LIMITS: SocketLimits = { connectMs: 2_000, idleMs: 5_000 };

/** Signs a path-style GET of bucket/key for `endpoint` with the test server's credentials. */
async function signedGet(endpoint: string, bucket: string, key: string, extra: Record<string, string> = {}): Promise<SignedGet> {
  const s = server();
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
    region: s.region,
    service: 's3',
    sha256: Sha256,
    uriEscapePath: false,
  });
  const path = `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const signed = await signer.sign({
    method: 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query: {},
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...extra },
  });
  return { host: url.hostname, port: Number(url.port), path, headers: signed.headers };
}

/** A getIntoFile into a fresh file at `dir/name`, pre-filled with `prefill`; the chunks reported, in order. */
async function getInto(
  pool: SocketPool,
  request: SignedGet,
  file: string,
  options: { position?: number; maxBytes?: number; signal?: AbortSignal; limits?: SocketLimits; onWritten?: (bytes: number) => void } = {},
): Promise<{ result: GetIntoFileResult; reported: Buffer[]; total: number }> {
  const fd = openSync(file, 'r+');
  const reported: Buffer[] = [];
  let total = 0;
  try {
    const result = await getIntoFile(pool, request, { fd, position: options.position ?? 0, path: file, maxBytes: options.maxBytes }, (n, chunks) => {
      total += n;
      for (const chunk of chunks) reported.push(Buffer.from(chunk));
      options.onWritten?.(n);
    }, options.signal ?? new AbortController().signal, options.limits ?? LIMITS);
    return { result, reported, total };
  } finally {
    closeSync(fd);
  }
}

/** Like {@link getInto}, for a call expected to fail: the error and the bytes reported before it. */
async function failedGet(pool: SocketPool, request: SignedGet, file: string, options: Parameters<typeof getInto>[3] = {}): Promise<{ error: NodeJS.ErrnoException & { reusedSocket?: boolean }; total: number; reported: Buffer[] }> {
  const fd = openSync(file, 'r+');
  const reported: Buffer[] = [];
  let total = 0;
  try {
    await getIntoFile(pool, request, { fd, position: options.position ?? 0, path: file }, (n, chunks) => {
      total += n;
      for (const chunk of chunks) reported.push(Buffer.from(chunk));
      options.onWritten?.(n);
    }, options.signal ?? new AbortController().signal, options.limits ?? LIMITS);
  } catch (error) {
    return { error: error as NodeJS.ErrnoException, total, reported };
  } finally {
    closeSync(fd);
  }
  throw new Error('getIntoFile resolved; a failure was expected');
}

const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('lean: getIntoFile (the socket reader)', function () {
  this.timeout(30_000);
  const fx = useBucket('lean-reader');
  const dir = useTempDir();
  const objects = new Map<string, Buffer>();
  let pool: SocketPool;
  let proxy: FaultProxy;
  let file = '';
  let n = 0;

  before(async () => {
    for (const [key, size] of [['zero', 0], ['one', 1], ['odd', 1_000_003], ['several', 6 * MiB + 7], ['big', 24 * MiB]] as const) {
      const data = bytes(size, size + 3);
      if (size <= 8 * MiB) {
        await fx.rx.client.send(new PutObjectCommand({ Bucket: fx.bucket, Key: key, Body: data }));
      } else {
        const source = join(dir.path, `${key}.src`);
        await writeFile(source, data);
        const put = await lastValueFrom(fx.rx.uploadFile(fx.bucket, key, source, { partSize: 8 * MiB }));
        expect(put.ok).to.equal(true);
      }
      objects.set(key, data);
    }
    proxy = await FaultProxy.start();
  });
  beforeEach(async () => {
    pool = new SocketPool({ maxSockets: 4 });
    file = join(dir.path, `out-${n++}`);
    await writeFile(file, '');
  });
  afterEach(async () => {
    pool.destroy();
    await settle();
    expect(pool.stats, 'sockets left open').to.deep.equal({ open: 0, free: 0 });
    const staging = stagingStats();
    expect(staging.free, 'staging blocks all back in the pool').to.equal(staging.made);
    expect(staging.waiting).to.equal(0);
    releaseFreeStaging();
    expect(stagingStats().made).to.equal(0);
    proxy.reset();
  });
  after(async () => {
    await proxy.stop();
  });

  const data = (key: string): Buffer => objects.get(key)!;

  for (const key of ['zero', 'one', 'odd', 'several', 'big']) {
    it(`a whole GET of '${key}' is byte-identical, every written byte reported once, in order`, async () => {
      const { result, reported, total } = await getInto(pool, await signedGet(server().endpoint, fx.bucket, key), file);
      expect(result.status).to.equal(200);
      expect(result.written).to.equal(data(key).length);
      expect(result.errorBody).to.equal(undefined);
      expect(result.headers['content-length']).to.equal(String(data(key).length));
      expect(total).to.equal(data(key).length);
      expect(Buffer.concat(reported).equals(data(key))).to.equal(true);
      expect((await readFile(file)).equals(data(key))).to.equal(true);
    });
  }

  it('ranged GETs land at their offsets: the file is byte-identical; staging goes back to the pool', async () => {
    const whole = data('several');
    await writeFile(file, Buffer.alloc(whole.length));
    const cuts = [0, 1, 2 * MiB - 1, 2 * MiB + 333, 5 * MiB, whole.length];
    await Promise.all(cuts.slice(1).map(async (end, i) => {
      const start = cuts[i]!;
      const request = await signedGet(server().endpoint, fx.bucket, 'several', { range: `bytes=${start}-${end - 1}` });
      const { result, total } = await getInto(pool, request, file, { position: start, maxBytes: end - start });
      expect(result.status).to.equal(206);
      expect(result.written).to.equal(end - start);
      expect(total).to.equal(end - start);
    }));
    expect((await readFile(file)).equals(whole)).to.equal(true);
    const staging = stagingStats();
    expect(staging.free, 'staging blocks all free').to.equal(staging.made);
  });

  it('404 and 412 give the status and the error body, and write nothing', async () => {
    await writeFile(file, 'untouched');
    const missing = await getInto(pool, await signedGet(server().endpoint, fx.bucket, 'no-such-key'), file);
    expect(missing.result.status).to.equal(404);
    expect(missing.result.written).to.equal(0);
    expect(missing.total).to.equal(0);
    expect(missing.result.errorBody?.toString()).to.match(/<Code>NoSuchKey<\/Code>/);
    const stale = await getInto(pool, await signedGet(server().endpoint, fx.bucket, 'odd', { 'if-match': '"0123456789abcdef0123456789abcdef"' }), file);
    expect(stale.result.status).to.equal(412);
    expect(stale.result.written).to.equal(0);
    expect(stale.result.errorBody?.toString()).to.match(/PreconditionFailed/);
    expect(await readFile(file, 'utf8')).to.equal('untouched');
    expect(pool.stats, 'the connection is kept after error answers').to.deep.equal({ open: 1, free: 1 });
  });

  it('sequential GETs reuse one keep-alive connection', async () => {
    for (const key of ['one', 'odd', 'zero', 'several', 'no-such-key', 'one']) {
      await getInto(pool, await signedGet(server().endpoint, fx.bucket, key), file);
      expect(pool.stats).to.deep.equal({ open: 1, free: 1 });
    }
  });

  it('abort mid-body rejects with an AbortError, destroys the socket, and reports only bytes written', async () => {
    const controller = new AbortController();
    const { error, total, reported } = await failedGet(pool, await signedGet(server().endpoint, fx.bucket, 'big'), file, {
      signal: controller.signal,
      onWritten: () => controller.abort(),
    });
    expect(error.name).to.equal('AbortError');
    expect(total).to.be.above(0).and.below(data('big').length);
    expect(Buffer.concat(reported).equals(data('big').subarray(0, total))).to.equal(true);
    expect((await readFile(file)).subarray(0, total).equals(data('big').subarray(0, total))).to.equal(true);
    await settle();
    expect(pool.stats).to.deep.equal({ open: 0, free: 0 });
  });

  it('an abort before the call sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const { error } = await failedGet(pool, await signedGet(proxy.endpoint, fx.bucket, 'one'), file, { signal: controller.signal });
    expect(error.name).to.equal('AbortError');
    expect(proxy.seen).to.have.length(0);
    expect(pool.stats.open).to.equal(0);
  });

  it('a reset mid-body rejects with the bytes written reported exactly; a second call from there completes the file', async () => {
    const whole = data('big');
    proxy.inject({ match: requests.get, action: { kind: 'reset-response', afterBytes: 5 * MiB + 17 } });
    const first = await failedGet(pool, await signedGet(proxy.endpoint, fx.bucket, 'big'), file, { limits: { connectMs: 2_000, idleMs: 1_000 } });
    // The proxy's RST sometimes reaches us after a FIN (a short body), and sometimes never comes: it waits for a
    // 'drain' that is not emitted when its last write did not fill the buffer (then we see a stall). All three
    // are retried the same way; what matters here is the count of bytes written.
    expect(first.error.code).to.be.oneOf(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ETIMEDOUT']);
    expect(first.total).to.be.within(1, 5 * MiB + 17);
    const written = await readFile(file);
    expect(written.length).to.equal(first.total);
    expect(written.equals(whole.subarray(0, first.total))).to.equal(true);
    const request = await signedGet(proxy.endpoint, fx.bucket, 'big', { range: `bytes=${first.total}-` });
    const second = await getInto(pool, request, file, { position: first.total });
    expect(second.result.status).to.equal(206);
    expect(first.total + second.total).to.equal(whole.length);
    expect((await readFile(file)).equals(whole)).to.equal(true);
  });

  it('a stalled body fails with a TimeoutError within idleMs, keeping what arrived', async () => {
    proxy.inject({ match: requests.get, action: { kind: 'stall', afterBytes: 3 * MiB } });
    const started = Date.now();
    const { error, total } = await failedGet(pool, await signedGet(proxy.endpoint, fx.bucket, 'big'), file, { limits: { connectMs: 2_000, idleMs: 400 } });
    expect(error.name).to.equal('TimeoutError');
    expect(error.code).to.equal('ETIMEDOUT');
    expect(Date.now() - started).to.be.below(3_000);
    expect(total).to.equal(3 * MiB);
    expect((await readFile(file)).equals(data('big').subarray(0, 3 * MiB))).to.equal(true);
  });

  it('a truncated body fails as a premature close, with every byte received written', async () => {
    proxy.inject({ match: requests.get, action: { kind: 'truncate', afterBytes: 2 * MiB + 5 } });
    const { error, total } = await failedGet(pool, await signedGet(proxy.endpoint, fx.bucket, 'several'), file);
    expect(error.code).to.equal('ERR_STREAM_PREMATURE_CLOSE');
    expect(total).to.equal(2 * MiB + 5);
    expect((await readFile(file)).equals(data('several').subarray(0, 2 * MiB + 5))).to.equal(true);
  });

  it('a connection the server dropped while it was free fails with reusedSocket: true', async () => {
    await getInto(pool, await signedGet(proxy.endpoint, fx.bucket, 'one'), file);
    expect(pool.stats.free).to.equal(1);
    proxy.inject({ match: requests.get, action: { kind: 'hang' } });
    const pending = failedGet(pool, await signedGet(proxy.endpoint, fx.bucket, 'one'), file);
    while (proxy.seen.length < 2) await settle(5);
    await proxy.restart(10); // every connection cut while the request waits for its answer
    const { error } = await pending;
    expect(error.code).to.equal('ECONNRESET');
    expect(error.reusedSocket).to.equal(true);
  });

  it('a write that fails rejects with the file error, its code and the path', async () => {
    const fd = openSync(file, 'r'); // read-only: writes fail with EBADF
    try {
      const failure = await getIntoFile(pool, await signedGet(server().endpoint, fx.bucket, 'odd'), { fd, position: 0, path: file }, () => undefined, new AbortController().signal, LIMITS)
        .then(() => undefined, (error: unknown) => error as NodeJS.ErrnoException);
      expect(failure?.code).to.equal('EBADF');
      expect(failure?.path).to.equal(file);
    } finally {
      closeSync(fd);
    }
  });

  it('a write that fails mid-body rejects with its code and path; only the batches written before it are reported', async () => {
    const real = fs.writev;
    let calls = 0;
    const stub = sinon.stub(fs, 'writev').callsFake(((...args: Parameters<typeof fs.writev>) => {
      calls += 1;
      if (calls === 3) {
        const callback = args[args.length - 1] as (error: NodeJS.ErrnoException | null, bytes: number) => void;
        setImmediate(() => callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }), 0));
        return;
      }
      (real as (...a: unknown[]) => void)(...args);
    }) as typeof fs.writev);
    try {
      const { error, total, reported } = await failedGet(pool, await signedGet(server().endpoint, fx.bucket, 'big'), file);
      expect(error.code).to.equal('ENOSPC');
      expect(error.path).to.equal(file);
      expect(total).to.be.above(0).and.below(data('big').length);
      expect(Buffer.concat(reported).equals(data('big').subarray(0, total))).to.equal(true);
      expect((await readFile(file)).equals(data('big').subarray(0, total))).to.equal(true);
    } finally {
      stub.restore();
    }
  });

  it('many GETs at once over few sockets and scarce staging: each byte-identical, every socket and block back', async () => {
    const whole = data('big');
    await writeFile(file, Buffer.alloc(whole.length));
    const small = new SocketPool({ maxSockets: 16 });
    const part = 1.5 * MiB;
    try {
      await Promise.all(Array.from({ length: whole.length / part }, async (_, i) => {
        const start = i * part;
        const request = await signedGet(server().endpoint, fx.bucket, 'big', { range: `bytes=${start}-${start + part - 1}` });
        const { result } = await getInto(i % 2 === 0 ? small : pool, request, file, { position: start, maxBytes: part });
        expect(result.written).to.equal(part);
      }));
    } finally {
      small.destroy();
    }
    expect((await readFile(file)).equals(whole)).to.equal(true);
    expect(pool.stats.open).to.be.at.most(4);
  });

  it('scarce staging (2 blocks for 6 GETs): readers pause and wait for blocks, and every range is byte-identical', async () => {
    const whole = data('big');
    await writeFile(file, Buffer.alloc(whole.length));
    const previous = setStagingLimit(2);
    const wide = new SocketPool({ maxSockets: 6 });
    const before = { ...readerCounters };
    try {
      await Promise.all(Array.from({ length: 6 }, async (_, i) => {
        const start = i * 4 * MiB;
        const request = await signedGet(server().endpoint, fx.bucket, 'big', { range: `bytes=${start}-${start + 4 * MiB - 1}` });
        const { result } = await getInto(wide, request, file, { position: start, maxBytes: 4 * MiB });
        expect(result.written).to.equal(4 * MiB);
      }));
    } finally {
      wide.destroy();
      setStagingLimit(previous);
    }
    expect((await readFile(file)).equals(whole)).to.equal(true);
    expect(readerCounters.pauses - before.pauses, 'pauses').to.be.above(0);
    expect(stagingStats().made).to.be.at.most(2);
  });

  it('a connection refused keeps its code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await failedGet(pool, { host: '127.0.0.1', port, path: '/b/k', headers: { host: `127.0.0.1:${port}` } }, file);
    expect(refused.error.code).to.equal('ECONNREFUSED');
  });

  it('a connection that never opens fails with a TimeoutError after connectMs, and is closed', async () => {
    // (A hanging connect cannot be made on loopback: the socket is one that stays "connecting".)
    const stub = sinon.stub(net, 'connect').callsFake(((options: net.NetConnectOpts) => {
      const socket = new net.Socket({ onread: (options as { onread?: net.OnReadOpts }).onread } as net.SocketConstructorOpts);
      Object.assign(socket, { connecting: true });
      return socket;
    }) as typeof net.connect);
    const started = Date.now();
    try {
      const { error } = await failedGet(pool, await signedGet(server().endpoint, fx.bucket, 'one'), file, { limits: { connectMs: 200, idleMs: 5_000 } });
      expect(error.name).to.equal('TimeoutError');
      expect(error.code).to.equal('ETIMEDOUT');
      expect(error.message).to.match(/connect within 200 ms/);
    } finally {
      stub.restore();
    }
    expect(Date.now() - started).to.be.within(150, 2_000);
    await settle();
    expect(pool.stats.open).to.equal(0);
  });

  describe('against a hand-written server (1xx, chunked, close-delimited)', () => {
    let raw: Server;
    let answer: (socket: Socket) => void = () => undefined;
    let port = 0;
    before(async () => {
      raw = createServer((socket) => {
        socket.once('data', () => answer(socket));
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', () => resolve()));
      port = (raw.address() as AddressInfo).port;
    });
    after(async () => {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    });
    const request = (): SignedGet => ({ host: '127.0.0.1', port, path: '/b/k', headers: { host: `127.0.0.1:${port}` } });

    /** Writes `parts` one by one, a few ms apart, so they arrive as separate reads. */
    const dribble = async (socket: Socket, parts: ReadonlyArray<string | Buffer>, end = false): Promise<void> => {
      for (const part of parts) {
        socket.write(part);
        await settle(5);
      }
      if (end) socket.end();
    };

    it('skips 1xx answers and reads a chunked body with extensions and trailers, split anywhere', async () => {
      const body = bytes(300_001, 9);
      const wire = Buffer.concat([
        Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Test: a\r\nX-Test: b\r\n\r\n'),
        Buffer.from(`${(100_000).toString(16)};name=value\r\n`), body.subarray(0, 100_000), Buffer.from('\r\n'),
        Buffer.from(`${(200_001).toString(16).toUpperCase()}\r\n`), body.subarray(100_000), Buffer.from('\r\n'),
        Buffer.from('0\r\nx-trailer: 1\r\n\r\n'),
      ]);
      const cuts = [3, 20, 60, 71, 200, 100_150, 100_160, 100_161, wire.length - 10, wire.length - 2];
      answer = (socket) => void dribble(socket, [0, ...cuts].map((at, i) => wire.subarray(at, cuts[i] ?? wire.length)));
      const { result, total } = await getInto(pool, request(), file);
      expect(result.status).to.equal(200);
      expect(result.headers['x-test']).to.equal('a, b');
      expect(total).to.equal(body.length);
      expect((await readFile(file)).equals(body)).to.equal(true);
      expect(pool.stats).to.deep.equal({ open: 1, free: 1 });
    });

    it('reads a body delimited by the close of the connection, and does not keep that connection', async () => {
      const body = bytes(70_000, 4);
      answer = (socket) => void dribble(socket, ['HTTP/1.1 200 OK\r\nConnection: close\r\n', '\r\n', body.subarray(0, 10), body.subarray(10)], true);
      const { result, total } = await getInto(pool, request(), file);
      expect(result.status).to.equal(200);
      expect(total).to.equal(body.length);
      expect((await readFile(file)).equals(body)).to.equal(true);
      await settle();
      expect(pool.stats.open).to.equal(0);
    });

    it('a Connection: close answer with a length closes the connection after it', async () => {
      answer = (socket) => void dribble(socket, ['HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc']);
      const { result } = await getInto(pool, request(), file);
      expect(result.status).to.equal(206);
      expect(await readFile(file, 'utf8')).to.equal('abc');
      await settle();
      expect(pool.stats.open).to.equal(0);
    });

    it('a connection closed before any answer fails with ECONNRESET (not marked reused on a fresh socket)', async () => {
      answer = (socket) => socket.end();
      const { error } = await failedGet(pool, request(), file);
      expect(error.code).to.equal('ECONNRESET');
      expect(error.reusedSocket).to.equal(undefined);
    });

    it('a malformed chunk fails the call and keeps the bytes before it', async () => {
      answer = (socket) => void dribble(socket, ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n']);
      const { error, total } = await failedGet(pool, request(), file);
      expect(error.code).to.equal('HPE_INVALID_CHUNK_SIZE');
      expect(total).to.equal(5);
    });

    it('abort while body bytes wait for their batch: nothing of them is written or reported, their staging goes back', async () => {
      answer = (socket) => void dribble(socket, ['HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n', bytes(100_000, 5)]);
      const controller = new AbortController();
      const before = readerCounters.readBytes;
      const watch = (): void => {
        if (readerCounters.readBytes - before >= 100_000) controller.abort();
        else setImmediate(watch);
      };
      watch();
      const { error, total } = await failedGet(pool, request(), file, { signal: controller.signal });
      expect(error.name).to.equal('AbortError');
      expect(total).to.equal(0);
      expect((await readFile(file)).length).to.equal(0);
    });

    it('a slow body is written as it comes, not only by the MiB', async () => {
      const body = bytes(3000, 6);
      answer = (socket) => void dribble(socket, ['HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n', body]);
      const controller = new AbortController();
      const started = Date.now();
      const { error, total } = await failedGet(pool, request(), file, { signal: controller.signal, onWritten: () => controller.abort() });
      expect(error.name).to.equal('AbortError');
      expect(total).to.equal(3000);
      expect(Date.now() - started).to.be.below(LIMITS.idleMs / 2);
    });

    it('a body longer than maxBytes fails before any write', async () => {
      answer = (socket) => void dribble(socket, ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789']);
      const fd = openSync(file, 'r+');
      try {
        const failure = await getIntoFile(pool, request(), { fd, position: 0, path: file, maxBytes: 4 }, () => undefined, new AbortController().signal, LIMITS)
          .then(() => undefined, (error: unknown) => error as NodeJS.ErrnoException);
        expect(failure?.code).to.equal('ERR_BODY_TOO_LONG');
      } finally {
        closeSync(fd);
      }
      expect(await readFile(file, 'utf8')).to.equal('');
    });
  });

  describe('exchange: HEAD and PUT on the same connections, the answer in memory', () => {
    let raw: Server;
    /** Every byte each connection received, by connection. */
    let received: Buffer[][] = [];
    const open = new Set<Socket>();
    /** Answers once a connection's bytes end with `until` (the whole request): the wire to send back. */
    let respond: (request: Buffer, socket: Socket) => void = () => undefined;
    let port = 0;
    before(async () => {
      raw = createServer((socket) => {
        open.add(socket.once('close', () => open.delete(socket)));
        const mine: Buffer[] = [];
        received.push(mine);
        socket.on('data', (chunk: Buffer) => {
          mine.push(chunk);
          respond(Buffer.concat(mine), socket);
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', () => resolve()));
      port = (raw.address() as AddressInfo).port;
    });
    beforeEach(() => {
      received = [];
    });
    after(async () => {
      for (const socket of open) socket.destroy(); // a paused one never sees the client close
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    });
    const base = (): SignedGet => ({ host: '127.0.0.1', port, path: '/b/k', headers: { host: `127.0.0.1:${port}` } });

    it('a HEAD answered with a Content-Length and no body resolves at the head, and its connection serves the next one', async () => {
      respond = (request, socket) => {
        if (request.toString('latin1').endsWith('\r\n\r\n')) {
          received.at(-1)!.length = 0;
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: "e"\r\nX-Amz-Meta-A: 1\r\nX-Amz-Meta-A: 2\r\n\r\n');
        }
      };
      for (let i = 0; i < 3; i++) {
        const answer = await exchange(pool, { ...base(), method: 'HEAD' }, new AbortController().signal, LIMITS);
        expect(answer.status).to.equal(200);
        expect(answer.headers['content-length']).to.equal('1000');
        expect(answer.headers['x-amz-meta-a']).to.equal('1, 2');
        expect(answer.body.length).to.equal(0);
      }
      expect(received.length, 'connections opened').to.equal(1);
      expect(pool.stats).to.deep.equal({ open: 1, free: 1 });
    });

    it('a PUT sends its head and body byte for byte, counts the body as it is handed over, and keeps the connection', async () => {
      const body = bytes(1_000_003, 12);
      const head = `PUT /b/k HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-length: ${body.length}\r\n\r\n`;
      respond = (request, socket) => {
        if (request.length === head.length + body.length) socket.write('HTTP/1.1 200 OK\r\nETag: "x"\r\nContent-Length: 0\r\n\r\n');
      };
      const sent: number[] = [];
      const answer = await exchange(pool, { ...base(), method: 'PUT', headers: { ...base().headers, 'content-length': String(body.length) }, body }, new AbortController().signal, LIMITS, (n) => sent.push(n), 256 * 1024);
      expect(answer.status).to.equal(200);
      expect(answer.headers.etag).to.equal('"x"');
      const wire = Buffer.concat(received[0]!);
      expect(wire.subarray(0, head.length).toString('latin1')).to.equal(head);
      expect(wire.subarray(head.length).equals(body)).to.equal(true);
      expect(sent).to.deep.equal([262_144, 262_144, 262_144, 213_571]);
      await settle();
      expect(pool.stats).to.deep.equal({ open: 1, free: 1 });
    });

    it('an error answered before the body is all sent keeps its body (chunked), and that connection is not reused', async () => {
      const body = bytes(16 * MiB, 13);
      respond = (_request, socket) => {
        if (received.at(-1)!.length !== 1) return; // the first read only
        const xml = '<Error><Code>AccessDenied</Code></Error>';
        socket.write(`HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n${xml.length.toString(16)}\r\n${xml}\r\n0\r\n\r\n`);
        socket.pause(); // reads no more of the body
      };
      const answer = await exchange(pool, { ...base(), method: 'PUT', headers: { ...base().headers, 'content-length': String(body.length) }, body }, new AbortController().signal, LIMITS);
      expect(answer.status).to.equal(403);
      expect(answer.body.toString()).to.equal('<Error><Code>AccessDenied</Code></Error>');
      await settle();
      expect(pool.stats.open, 'the half-sent connection is closed').to.equal(0);
    });

    it('a stalled answer to a PUT fails with a TimeoutError after idleMs; an abort rejects with an AbortError and closes the socket', async () => {
      respond = () => undefined;
      const put = { ...base(), method: 'PUT' as const, headers: { ...base().headers, 'content-length': '3' }, body: Buffer.from('abc') };
      const stalled = await exchange(pool, put, new AbortController().signal, { connectMs: 1_000, idleMs: 150 }).then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
      expect(stalled?.code).to.equal('ETIMEDOUT');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const aborted = await exchange(pool, put, controller.signal, LIMITS).then(() => undefined, (e: unknown) => e as Error);
      expect(aborted?.name).to.equal('AbortError');
      await settle();
      expect(pool.stats.open).to.equal(0);
    });
  });
});
