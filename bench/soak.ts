/**
 * Soak: many concurrent mixed operations with injected faults; every `Ok` verified against the server; sockets,
 * handles and heap watched.
 *
 *   npm run soak -- [--ops 100000] [--concurrency 1000] [--fault-rate 0.05] [--faults handler|proxy|both] [--idle-ms 2000]
 *                   [--property-runs 2000] [--json out.json]
 *
 * Against the embedded server (fauxqs, spawned as its own process so its CPU and memory are not ours), or the
 * endpoint in S3_ENDPOINT (S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION). Run with `--expose-gc` (npm run soak does)
 * so heap samples are taken after a full collection.
 *
 * Each scenario owns one key: put (putObject, uploadStream or uploadFile), then a few of head, get, stream,
 * download, list, copy and move, then delete. Faults are injected at the client's HTTP handler, for
 * `--fault-rate` of the requests: a 503 SlowDown, a connection reset, a 200 with an error body on
 * CompleteMultipartUpload/CopyObject, or a GET body with one byte flipped. The SDK retries the first three; a
 * flipped byte must end as `Err(Integrity)`. With `--faults proxy` the faults are on the wire instead: the fault
 * proxy of the test suite (spec/support/fault-proxy.ts, in a process of its own, bench/fault-proxy-process.ts) sits
 * between the client and the server and gives `--fault-rate` of the requests a 503 SlowDown, a reset (while the
 * request body is sent or the answer read), a truncated or stalled answer (the client's idle timeout is then
 * `--idle-ms`), or an object body with a byte flipped; `--faults both` does both. An `Err` is counted by kind; an `Ok` whose effect the server does
 * not confirm (checked with a separate, fault-free client) is a failure, and so is a thrown error, an `error`
 * notification, an open handle after the end, or a heap that grows. Exit code 0 only when all hold.
 * With --property-runs N, the key round-trip property of spec/property runs N more cases first.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import fc from 'fast-check';
import { RxS3, toS3Error, type Result, type S3Error } from '../lib';
import { checkNewKey } from '../lib/internal/validate';
import { wellFormedKey } from '../spec/property/support';

const { values: args } = parseArgs({
  options: {
    ops: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '1000' },
    'fault-rate': { type: 'string', default: '0.05' },
    'property-runs': { type: 'string', default: '0' },
    faults: { type: 'string', default: 'handler' },
    'idle-ms': { type: 'string', default: '2000' },
    json: { type: 'string' },
  },
});
const TOTAL_OPS = Number(args.ops);
const CONCURRENCY = Number(args.concurrency);
const FAULT_RATE = Number(args['fault-rate']);
const FAULTS = args.faults as 'handler' | 'proxy' | 'both';
if (!['handler', 'proxy', 'both'].includes(FAULTS)) throw new Error('--faults is handler, proxy or both');
const MiB = 1024 * 1024;

interface Endpoint {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/** The embedded server in a child process, or S3_ENDPOINT. */
async function startEndpoint(): Promise<Endpoint> {
  const credentials = { accessKeyId: process.env.S3_ACCESS_KEY ?? 'soak', secretAccessKey: process.env.S3_SECRET_KEY ?? 'soak' };
  if (process.env.S3_ENDPOINT) return { endpoint: process.env.S3_ENDPOINT, region: process.env.S3_REGION ?? 'us-east-1', credentials, stop: async () => undefined };
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'embedded-server.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const { endpoint } = JSON.parse(line) as { endpoint: string };
  return {
    endpoint,
    region: 'us-east-1',
    credentials,
    stop: async () => {
      child.stdin!.end();
      child.stdout!.destroy();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

interface WireProxy {
  readonly endpoint: string;
  /** Stops the proxy; resolves with how many requests met each fault. */
  stop(): Promise<Record<string, number>>;
}

/** The fault proxy in a child process, in front of `upstream`. */
async function startProxy(upstream: string): Promise<WireProxy> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fault-proxy-process.ts'), '--upstream', upstream, '--rate', String(FAULT_RATE)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
  const { endpoint } = JSON.parse(await next()) as { endpoint: string };
  return {
    endpoint,
    stop: async () => {
      const last = next();
      child.stdin!.end();
      const { applied } = JSON.parse(await last) as { applied: Record<string, number> };
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
      lines.close();
      return applied;
    },
  };
}

interface WireRequest {
  readonly method: string;
  readonly query: Record<string, unknown>;
  readonly headers: Record<string, string>;
}
type Handle = (request: WireRequest, options?: unknown) => Promise<{ response: { statusCode: number; body?: unknown } }>;

/** Counts of what was injected. */
const injected = { slowDown: 0, reset: 0, errorBody: 0, flippedByte: 0 };

/** Wraps the client's HTTP handler: `FAULT_RATE` of the requests meet one fault. */
function injectFaults(rx: RxS3): void {
  const handler = rx.client.config.requestHandler as unknown as { handle: Handle };
  const real = handler.handle.bind(handler);
  handler.handle = async (request, options) => {
    if (Math.random() >= FAULT_RATE) return real(request, options);
    const answer = (status: number, body: string) => ({ response: { statusCode: status, reason: '', headers: { 'content-type': 'application/xml' }, body: Readable.from([Buffer.from(body)]) } });
    const isCompleteOrCopy = (request.method === 'POST' && 'uploadId' in request.query) || (request.method === 'PUT' && 'x-amz-copy-source' in request.headers);
    if (isCompleteOrCopy && Math.random() < 0.5) {
      injected.errorBody += 1;
      return answer(200, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>injected</Message></Error>') as never;
    }
    if (request.method === 'GET' && !('list-type' in request.query) && Math.random() < 0.5) {
      const result = await real(request, options);
      if (result.response.statusCode >= 300) return result;
      injected.flippedByte += 1;
      let flipped = false;
      const body = result.response.body as Readable;
      const flipper = new Transform({
        transform(chunk: Buffer, _e, done) {
          if (!flipped && chunk.length > 0) {
            chunk = Buffer.from(chunk);
            chunk[chunk.length >> 1] ^= 0x20;
            flipped = true;
          }
          done(null, chunk);
        },
      });
      body.on('error', (e) => flipper.destroy(e));
      return { response: { ...result.response, body: body.pipe(flipper) } };
    }
    if (Math.random() < 0.5) {
      injected.slowDown += 1;
      return answer(503, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>injected</Message></Error>') as never;
    }
    injected.reset += 1;
    throw Object.assign(new Error('socket hang up (injected)'), { code: 'ECONNRESET' });
  };
}

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Tallies of outcomes. */
const tally = { ops: 0, ok: 0, verified: 0, errs: new Map<string, number>(), failures: [] as string[], maxSockets: 0 };
const countErr = (op: string, error: S3Error): void => {
  const label = `${op}:${error.kind}`;
  tally.errs.set(label, (tally.errs.get(label) ?? 0) + 1);
};
const fail = (message: string): void => {
  if (tally.failures.length < 50) tally.failures.push(message);
};

/** Runs one operation to its end: its values, or a failure if it errors (an `error` notification is a bug). */
async function run<T>(op: string, source$: Observable<Result<T, S3Error>>): Promise<Result<T, S3Error>[]> {
  tally.ops += 1;
  try {
    const values = await lastValueFrom(source$.pipe(toArray()));
    const last = values[values.length - 1];
    if (last !== undefined && last.err) countErr(op, last.val);
    else tally.ok += 1;
    return values;
  } catch (error) {
    fail(`${op}: error notification or throw: ${String(error)}`);
    return [];
  }
}

interface World {
  readonly rx: RxS3;
  readonly check: S3Client;
  readonly bucket: string;
  readonly dir: string;
}

async function serverBody(world: World, key: string): Promise<Buffer | undefined> {
  try {
    const got = await world.check.send(new GetObjectCommand({ Bucket: world.bucket, Key: key }));
    return await buffer(got.Body as Readable);
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** One scenario on its own key. Returns the number of operations it ran. */
async function scenario(world: World, n: number, multipart: boolean): Promise<number> {
  const { rx, bucket } = world;
  const key = `s/${n % 1000}/${n}-${randomBytes(3).toString('hex')} +é`;
  const before = tally.ops;
  const data = multipart ? randomBytes(5 * MiB + 1 + (n % 1000)) : randomBytes(n % 7 === 0 ? 0 : (n * 7919) % 65_536);
  const verifyStored = async (what: string, k: string, expected: Buffer): Promise<boolean> => {
    const stored = await serverBody(world, k);
    if (stored === undefined || !stored.equals(expected)) {
      fail(`${what} of ${k} was Ok but the server holds ${stored === undefined ? 'nothing' : `${stored.length} other bytes`}`);
      return false;
    }
    tally.verified += 1;
    return true;
  };

  // Write.
  let put: Result<unknown, S3Error>[];
  // uploadFile for multipart: it records the digest (a multipart uploadStream cannot; see docs/reliability.md).
  if (n % 3 === 1 && !multipart) put = await run('uploadStream', rx.uploadStream(bucket, key, Readable.from([data])));
  else if (multipart || n % 3 === 0) {
    const path = join(world.dir, `${n}.up`);
    await writeFile(path, data);
    put = await run('uploadFile', rx.uploadFile(bucket, key, path, { partSize: 5 * MiB, concurrency: 2 }));
    await rm(path, { force: true });
  } else put = await run('putObject', rx.putObject(bucket, key, data));
  const wrote = put[put.length - 1];
  if (wrote === undefined || wrote.err || !(await verifyStored('put', key, data))) {
    await world.check.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }], Quiet: true } })).catch(() => undefined);
    return tally.ops - before;
  }

  // Read it back, a few ways.
  const [head] = await run('getObjectMetadata', rx.getObjectMetadata(bucket, key));
  if (head?.ok) {
    if (head.val.contentLength !== data.length) fail(`head of ${key}: ${head.val.contentLength} bytes, not ${data.length}`);
    else tally.verified += 1;
  }
  const [got] = await run('getObject', rx.getObject(bucket, key));
  if (got?.ok) {
    // getObject checks the body as it is read: a flipped byte fails the stream at its end.
    const bytes = await buffer(got.val.body).catch((error: unknown) => toS3Error(error, { operation: 'getObject', bucket, key }));
    if (!Buffer.isBuffer(bytes)) {
      // getObject hands over the raw body: one that breaks or stalls mid-way errors (downloadFile and
      // downloadStream resume instead), which on the wire (--faults proxy) is an expected outcome, not a failure.
      if (bytes.kind === 'Integrity' || bytes.kind === 'Timeout' || bytes.kind === 'Network') countErr('getObject body', bytes);
      else fail(`getObject body of ${key}: ${bytes.kind}: ${bytes.message}`);
    } else if (!bytes.equals(data)) fail(`getObject of ${key} gave wrong bytes`);
    else tally.verified += 1;
  }
  const streamed = await run('downloadStream', rx.downloadStream(bucket, key));
  const streamEnd = streamed[streamed.length - 1];
  if (streamEnd?.ok) {
    const bytes = Buffer.concat(streamed.flatMap((r) => (r.ok && r.val.kind === 'data' ? [r.val.chunk] : [])));
    if (!bytes.equals(data)) fail(`downloadStream of ${key} completed with wrong bytes (${sha(bytes)} vs ${sha(data)})`);
    else tally.verified += 1;
  }
  const target = join(world.dir, `${n}.down`);
  const downloaded = await run('downloadFile', rx.downloadFile(bucket, key, target, { partSize: 5 * MiB }));
  const downEnd = downloaded[downloaded.length - 1];
  if (downEnd?.ok) {
    const bytes = await readFile(target);
    if (!bytes.equals(data)) fail(`downloadFile of ${key} completed with wrong bytes`);
    else tally.verified += 1;
  }
  await rm(target, { force: true });
  const pages = await run('listObjects', rx.listObjects(bucket, { prefix: key }));
  const lastPage = pages[pages.length - 1];
  if (lastPage?.ok) {
    if (!pages.some((p) => p.ok && p.val.objects.some((o) => o.key === key))) fail(`listObjects with prefix ${key} missed it`);
    else tally.verified += 1;
  }

  // Copy and move (small objects: fauxqs has no UploadPartCopy, and copies are single requests).
  const keys = [key];
  if (!multipart) {
    const copyKey = `${key}.copy`;
    const movedKey = `${key}.moved`;
    keys.push(copyKey, movedKey);
    const copied = (await run('copyObject', rx.copyObject({ bucket: bucket, key: key }, { bucket: bucket, key: copyKey }))).at(-1);
    if (copied?.ok && (await verifyStored('copy', copyKey, data))) {
      const moved = await run('moveObject', rx.moveObject({ bucket: bucket, key: copyKey }, { bucket: bucket, key: movedKey }));
      const moveEnd = moved[moved.length - 1];
      if (moveEnd?.ok) {
        if ((await verifyStored('move', movedKey, data)) && (await serverBody(world, copyKey)) !== undefined) fail(`move of ${copyKey} left its source`);
      } else if ((await serverBody(world, copyKey)) === undefined && (await serverBody(world, movedKey)) === undefined) {
        fail(`a failed move of ${copyKey} lost the object`);
      }
    }
  }

  // Delete.
  for (const k of keys) {
    const [deleted] = await run('deleteObject', rx.deleteObject(bucket, k));
    if (deleted?.ok) {
      if ((await serverBody(world, k)) !== undefined) fail(`deleteObject of ${k} was Ok but the object is still there`);
      else tally.verified += 1;
    }
  }
  await world.check.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } })).catch(() => undefined);
  return tally.ops - before;
}

function sockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / MiB;
}

async function main(): Promise<void> {
  const resourcesBefore = process.getActiveResourcesInfo();
  const server = await startEndpoint();
  const config = { endpoint: server.endpoint, region: server.region, credentials: server.credentials, forcePathStyle: true };
  // The verifying client always talks to the server itself; rx-s3's goes through the proxy in proxy mode.
  const proxy = FAULTS === 'handler' ? undefined : await startProxy(server.endpoint);
  const rx = new RxS3({
    ...config,
    endpoint: proxy?.endpoint ?? server.endpoint,
    maxAttempts: 3,
    ...(proxy === undefined ? {} : { timeouts: { idleMs: Number(args['idle-ms']) } }),
  });
  if (FAULTS !== 'proxy') injectFaults(rx);
  const check = new S3Client({ ...config, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const bucket = `rxs3-soak-${randomBytes(4).toString('hex')}`;
  await check.send(new CreateBucketCommand({ Bucket: bucket }));
  const dir = await mkdtemp(join(tmpdir(), 'rx-s3-soak-'));
  const world: World = { rx, check, bucket, dir };

  const propertyRuns = Number(args['property-runs']);
  if (propertyRuns > 0) await propertySoak(config, bucket, propertyRuns);

  const started = Date.now();
  const heap: Array<{ ops: number; heapMiB: number }> = [{ ops: 0, heapMiB: heapMiB() }];
  const sampler = setInterval(() => {
    tally.maxSockets = Math.max(tally.maxSockets, sockets());
  }, 50);
  let next = 0;
  let multipartInFlight = 0;
  const SAMPLE_STEP = Math.max(1, Math.floor(TOTAL_OPS / 10));
  let nextSample = SAMPLE_STEP;
  const lane = async (): Promise<void> => {
    while (tally.ops < TOTAL_OPS) {
      const n = next++;
      // About one scenario in 200 is a multipart upload; at most 4 at once bounds memory.
      const multipart = n % 200 === 199 && multipartInFlight < 4;
      if (multipart) multipartInFlight += 1;
      try {
        await scenario(world, n, multipart);
      } catch (error) {
        fail(`scenario ${n} threw: ${String(error)}`);
      } finally {
        if (multipart) multipartInFlight -= 1;
      }
      if (tally.ops >= nextSample) {
        nextSample = (Math.floor(tally.ops / SAMPLE_STEP) + 1) * SAMPLE_STEP;
        heap.push({ ops: tally.ops, heapMiB: heapMiB() });
        process.stderr.write(`  ${tally.ops} ops, ${((Date.now() - started) / 1000).toFixed(0)} s, heap ${heap[heap.length - 1]!.heapMiB.toFixed(1)} MiB, max sockets ${tally.maxSockets}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  clearInterval(sampler);
  const seconds = (Date.now() - started) / 1000;
  heap.push({ ops: tally.ops, heapMiB: heapMiB() });

  await rx.flushCleanups();
  const left = await check.send(new ListObjectsV2Command({ Bucket: bucket }));
  if ((left.KeyCount ?? 0) > 0) fail(`${left.KeyCount} objects left in the bucket after every scenario deleted its keys`);
  await check.send(new DeleteBucketCommand({ Bucket: bucket })).catch((e: unknown) => fail(`DeleteBucket: ${String(e)}`));
  rx.destroy();
  check.destroy();
  await rm(dir, { recursive: true, force: true });
  const onTheWire = await proxy?.stop();
  await server.stop();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const leaked = diff(process.getActiveResourcesInfo(), resourcesBefore);
  if (leaked.length > 0) fail(`handles left open: ${leaked.join(', ')}`);

  // Flat heap: the second half of the samples grows by less than 20 % (after GC) over the first sample taken under load.
  const underLoad = heap.slice(1, -1);
  const growth = underLoad.length >= 2 ? underLoad[underLoad.length - 1]!.heapMiB / underLoad[0]!.heapMiB : 1;
  if (growth > 1.2) fail(`heap grew ${((growth - 1) * 100).toFixed(0)} % under load (${underLoad.map((h) => h.heapMiB.toFixed(1)).join(' -> ')} MiB)`);

  const report = {
    ops: tally.ops,
    seconds: Number(seconds.toFixed(1)),
    opsPerSecond: Math.round(tally.ops / seconds),
    concurrency: CONCURRENCY,
    faultRate: FAULT_RATE,
    faults: FAULTS,
    ...(FAULTS === 'proxy' ? {} : { injected }),
    ...(onTheWire === undefined ? {} : { proxyInjected: onTheWire, idleMs: Number(args['idle-ms']) }),
    ok: tally.ok,
    verifiedAgainstServer: tally.verified,
    errs: Object.fromEntries([...tally.errs].sort()),
    maxSockets: tally.maxSockets,
    heapMiB: heap.map((h) => ({ ops: h.ops, heapMiB: Number(h.heapMiB.toFixed(1)) })),
    heapGrowthUnderLoad: Number(growth.toFixed(3)),
    leakedHandles: leaked,
    failures: tally.failures,
  };
  console.log(JSON.stringify(report, null, 2));
  if (args.json) await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
  process.exitCode = tally.failures.length === 0 ? 0 : 1;
}

/** What `after` holds more of than `before` (resource names, counted). */
function diff(after: readonly string[], before: readonly string[]): string[] {
  const rest = [...before];
  return after.filter((name) => {
    const i = rest.indexOf(name);
    if (i >= 0) rest.splice(i, 1);
    return i < 0;
  });
}

/** More cases of the key round-trip property (spec/property/keys.spec.ts), against a fault-free client. */
async function propertySoak(config: ConstructorParameters<typeof RxS3>[0] & object, bucket: string, numRuns: number): Promise<void> {
  const rx = new RxS3(config);
  let roundTrips = 0;
  let refused = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(wellFormedKey, fc.string({ maxLength: 40 }), async (key, body) => {
      if (checkNewKey(key, { operation: 'soak' }) !== undefined) {
        const [put] = await lastValueFrom(rx.putObject(bucket, key, body).pipe(toArray()));
        if (!(put!.err && put!.val.kind === 'InvalidInput')) throw new Error(`${JSON.stringify(key)} was not refused`);
        refused += 1;
        return;
      }
      const [put] = await lastValueFrom(rx.putObject(bucket, key, body).pipe(toArray()));
      if (!put!.ok) throw new Error(`put ${JSON.stringify(key)}: ${put!.val.message}`);
      const pages = await lastValueFrom(rx.listObjects(bucket, { prefix: key }).pipe(toArray()));
      if (!pages.some((p) => p.ok && p.val.objects.some((o) => o.key === key))) throw new Error(`list missed ${JSON.stringify(key)}`);
      const [got] = await lastValueFrom(rx.getObject(bucket, key).pipe(toArray()));
      if (!got!.ok || (await buffer(got!.val.body)).toString() !== body) throw new Error(`get ${JSON.stringify(key)} differs`);
      const [deleted] = await lastValueFrom(rx.deleteObject(bucket, key).pipe(toArray()));
      if (!deleted!.ok) throw new Error(`delete ${JSON.stringify(key)}: ${deleted!.val.message}`);
      roundTrips += 1;
    }),
    { numRuns },
  );
  rx.destroy();
  process.stderr.write(`  property: ${roundTrips} keys round-tripped, ${refused} refused, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

void main().catch((error: unknown) => {
  console.error('soak: crashed:', error);
  process.exitCode = 2;
});
