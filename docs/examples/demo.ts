/**
 * `npm run demo`: the origin tutorial's whole scenario, step by step, with rx-s3.
 *
 * It starts the embedded S3 server (fauxqs) in this process on 127.0.0.1, or, with `S3_ENDPOINT` (and
 * `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_REGION`) set, runs against that endpoint instead, exactly as the specs do.
 * Every step prints one line; the process exits 0 when every step succeeded, 1 otherwise, 130 on Ctrl-C. The
 * bucket and the temp files are removed in every case.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { performance } from 'node:perf_hooks';
import { from, lastValueFrom, mergeMap, Subject, takeUntil, tap, toArray, type Observable } from 'rxjs';
import { RxS3, type MoveEvent, type ObjectPage, type Result, type S3Error, type TransferProgress } from '../../lib';
import { formatBytes, formatDuration } from '../../lib/cli/format';
import { ProgressBar } from '../../lib/cli/progress-bar';
import { rxOptions, startServer, stopServer } from '../../spec/support/server';

const MiB = 1024 * 1024;
/** The big file: a few tens of MiB, so the progress bars have something to show. */
const BIG_FILE_SIZE = 40 * MiB;
/** Small keys put before listing, so the listing has 3 pages of 1,000. */
const MANY_KEYS = 2500;

const out = process.stdout;
const interrupt$ = new Subject<void>();
let interrupted = false;

/** A step's failure: an S3Error, or a sentence. */
class StepFailed extends Error {
  constructor(readonly reason: S3Error | string) {
    super(typeof reason === 'string' ? reason : `${reason.kind}: ${reason.message}`);
  }
}

/** The value of an `Ok`, or a {@link StepFailed} for an `Err`. */
function ok<T>(result: Result<T, S3Error> | undefined): T {
  if (result === undefined) throw new StepFailed(interrupted ? 'interrupted' : 'no result');
  if (result.err) throw new StepFailed(result.val);
  return result.val;
}

/** Runs an operation to its end (or until Ctrl-C) and returns every value it emitted, failing on the first `Err`. */
async function run<T>(operation$: Observable<Result<T, S3Error>>): Promise<T[]> {
  const results = await lastValueFrom(operation$.pipe(takeUntil(interrupt$), toArray()));
  if (interrupted) throw new StepFailed('interrupted');
  return results.map((result) => ok(result));
}

/** The last value of an operation. */
async function last<T>(operation$: Observable<Result<T, S3Error>>): Promise<T> {
  const values = await run(operation$);
  if (values.length === 0) throw new StepFailed('no result');
  return values[values.length - 1]!;
}

let stepCount = 0;
let failedStep: string | undefined;

function print(mark: string, name: string, detail: string, ms?: number): void {
  out.write(`${mark} ${name.padEnd(20)} ${detail}${ms === undefined ? '' : ` (${formatDuration(ms)})`}\n`);
}

/** One step: runs it, prints `✔ name  detail (time)` or `✘ name  error (time)`; a failure ends the demo. */
async function step(name: string, body: () => Promise<string>): Promise<void> {
  await steps(name, async (done) => done(name, await body()));
}

/**
 * A step that prints several lines as its values arrive (pages, stages): `done(name, detail)` prints one, timed
 * from the previous one.
 */
async function steps(name: string, body: (done: (name: string, detail: string) => void) => Promise<void>): Promise<void> {
  let started = performance.now();
  try {
    await body((lineName, detail) => {
      stepCount += 1;
      print('✔', lineName, detail, performance.now() - started);
      started = performance.now();
    });
  } catch (error) {
    failedStep ??= name;
    print('✘', name, error instanceof Error ? error.message : String(error), performance.now() - started);
    throw error;
  }
}

/** A transfer with a live progress bar (on a terminal), the same renderer as the CLI's. */
async function transfer<O>(label: string, operation$: Observable<Result<TransferProgress | { kind: 'complete'; output: O }, S3Error>>): Promise<O> {
  const bar = new ProgressBar(out, label);
  try {
    const events = await run<TransferProgress | { kind: 'complete'; output: O }>(operation$.pipe(tap((result) => result.ok && result.val.kind === 'progress' && bar.update(result.val))));
    const done = events[events.length - 1];
    if (done?.kind !== 'complete') throw new StepFailed('the transfer ended without completing');
    return done.output;
  } finally {
    bar.clear();
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes `size` random bytes to `path`; returns their SHA-256. */
async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    const chunk = Buffer.allocUnsafe(4 * MiB);
    for (let written = 0; written < size; written += chunk.length) {
      const slice = chunk.subarray(0, Math.min(chunk.length, size - written));
      randomFillSync(slice);
      hash.update(slice);
      await handle.write(slice);
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function main(): Promise<number> {
  const started = performance.now();
  const server = await startServer();
  const rx = new RxS3(rxOptions());
  const bucket = `rxs3-demo-${randomBytes(3).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'rx-s3-demo-'));
  let bucketExists = false;
  let failed = false;
  process.once('SIGINT', () => {
    interrupted = true;
    interrupt$.next();
  });

  out.write(`rx-s3 demo against ${server.kind === 'embedded' ? 'the embedded S3 server (fauxqs)' : 'S3_ENDPOINT'} at ${server.endpoint}\n\n`);
  try {
    await step('createBucket', async () => {
      await last(rx.createBucket(bucket));
      bucketExists = true;
      return bucket;
    });

    await step('getBucketMetadata', async () => {
      const meta = await last(rx.getBucketMetadata(bucket));
      return `${bucket} exists, region ${meta.region ?? '(not reported by the server)'}`;
    });

    await step('listBuckets', async () => {
      const { buckets } = await last(rx.listBuckets());
      if (!buckets.some((b) => b.name === bucket)) throw new StepFailed(`${bucket} is not in the list`);
      return `${buckets.length} bucket${buckets.length === 1 ? '' : 's'}, ${bucket} among them`;
    });

    const greeting = 'Hello from rx-s3!';
    await step('putObject', async () => {
      const written = await last(rx.putObject(bucket, 'hello.txt', greeting, { contentType: 'text/plain' }));
      return `hello.txt, ${Buffer.byteLength(greeting)} B, ETag ${written.etag ?? '(none)'}`;
    });

    await step('getObject', async () => {
      const got = await last(rx.getObject(bucket, 'hello.txt'));
      const body = await text(got.body);
      if (body !== greeting) throw new StepFailed(`read back ${JSON.stringify(body)}`);
      return `hello.txt: ${JSON.stringify(body)} (${got.contentType ?? 'no type'})`;
    });

    const signed = async (method: 'GET' | 'PUT' | 'HEAD' | 'DELETE'): Promise<string> => (await last(rx.generatePresignedUrl(method, bucket, 'presigned.txt', { ttl: 300 }))).url;
    const expectStatus = (response: Response, ...statuses: number[]): void => {
      if (!statuses.includes(response.status)) throw new StepFailed(`HTTP ${response.status} ${response.statusText}`);
    };
    const presignedBody = 'uploaded through a presigned URL';
    await step('presign PUT', async () => {
      const response = await fetch(await signed('PUT'), { method: 'PUT', body: presignedBody });
      expectStatus(response, 200);
      return `fetch PUT presigned.txt -> ${response.status}`;
    });
    await step('presign GET', async () => {
      const response = await fetch(await signed('GET'));
      expectStatus(response, 200);
      const body = await response.text();
      if (body !== presignedBody) throw new StepFailed(`read back ${JSON.stringify(body)}`);
      return `fetch GET presigned.txt -> ${response.status}, ${JSON.stringify(body)}`;
    });
    await step('presign HEAD', async () => {
      const response = await fetch(await signed('HEAD'), { method: 'HEAD' });
      expectStatus(response, 200);
      return `fetch HEAD presigned.txt -> ${response.status}, content-length ${response.headers.get('content-length') ?? '?'}`;
    });
    await step('presign DELETE', async () => {
      const response = await fetch(await signed('DELETE'), { method: 'DELETE' });
      expectStatus(response, 200, 204);
      const after = await lastValueFrom(rx.getObjectMetadata(bucket, 'presigned.txt'));
      if (after === undefined || after.ok || after.val.kind !== 'NoSuchKey') throw new StepFailed('presigned.txt is still there');
      return `fetch DELETE presigned.txt -> ${response.status}, then HeadObject: NoSuchKey`;
    });

    const source = join(dir, 'big.bin');
    const sourceHash = await writeRandomFile(source, BIG_FILE_SIZE);
    await step('uploadFile', async () => {
      const output = await transfer('uploadFile big.bin', rx.uploadFile(bucket, 'big.bin', source));
      return `big.bin, ${formatBytes(output.size)} in ${output.parts} parts`;
    });

    const copy = join(dir, 'big.downloaded.bin');
    await step('downloadFile', async () => {
      const output = await transfer('downloadFile big.bin', rx.downloadFile(bucket, 'big.bin', copy));
      const hash = await sha256File(copy);
      if (hash !== sourceHash) throw new StepFailed(`SHA-256 ${hash} differs from ${sourceHash}`);
      return `big.bin, ${formatBytes(output.size)} (parallel ranged GETs), SHA-256 ${hash.slice(0, 12)}... matches`;
    });

    const keys = Array.from({ length: MANY_KEYS }, (_, i) => `many/${String(i).padStart(5, '0')}`);
    await step(`putObject ×${MANY_KEYS}`, async () => {
      await run(from(keys).pipe(mergeMap((key) => rx.putObject(bucket, key, key), 32)));
      return `${keys[0]!} ... ${keys[keys.length - 1]!}, 32 in flight`;
    });

    await steps('listObjects', async (done) => {
      // One line per page, printed as each page arrives.
      const pages = await run<ObjectPage>(
        rx.listObjects(bucket, { prefix: 'many/', pageSize: 1000 }).pipe(
          tap((result) => {
            if (result.err) return;
            const { objects, pageNumber, isLast } = result.val;
            const range = `${objects[0]?.key ?? '-'} ... ${objects[objects.length - 1]?.key ?? '-'}`;
            done(`listObjects page ${pageNumber}`, `${objects.length} keys, ${range}${isLast ? ' (last page)' : ''}`);
          }),
        ),
      );
      const listed = pages.reduce((n, page) => n + page.objects.length, 0);
      if (listed !== MANY_KEYS) throw new StepFailed(`listed ${listed} keys, not ${MANY_KEYS}`);
    });

    await step('copyObject', async () => {
      // Like a transfer: progress ticks (a copy above 5 GiB goes in parts), then one `complete`.
      const copied = await last(rx.copyObject({ bucket, key: 'hello.txt' }, { bucket, key: 'copies/hello.txt' }));
      if (copied.kind !== 'complete') throw new StepFailed('the copy did not complete');
      return `hello.txt -> copies/hello.txt, ETag ${copied.output.etag ?? '(none)'}`;
    });

    await steps('moveObject', async (done) => {
      // moveObject emits the copy's progress, then copied (verified against the source), then deleted.
      await run<MoveEvent>(
        rx.moveObject({ bucket, key: 'copies/hello.txt' }, { bucket, key: 'moved/hello.txt' }).pipe(
          tap((result) => {
            if (result.err) return;
            const event = result.val;
            if (event.kind === 'copied') {
              done('moveObject copied', `copies/hello.txt -> moved/hello.txt, verified: ${event.verified.size} B, ETag ${event.verified.targetEtag ?? '(none)'}`);
            } else if (event.kind === 'deleted') {
              done('moveObject deleted', 'copies/hello.txt');
            }
          }),
        ),
      );
    });

    await step('deleteObject', async () => {
      await last(rx.deleteObject(bucket, 'moved/hello.txt'));
      return 'moved/hello.txt';
    });

    await step('deleteObjects', async () => {
      const remaining = (await run(rx.listObjects(bucket))).flatMap((page) => page.objects.map((o) => o.key));
      const batches = await run(rx.deleteObjects(bucket, remaining));
      const deleted = batches.reduce((n, b) => n + b.deleted.length, 0);
      const refused = batches.flatMap((b) => b.errors);
      if (refused.length > 0) throw new StepFailed(`${refused.length} keys refused, e.g. ${refused[0]!.key}: ${refused[0]!.kind}`);
      return `${deleted.toLocaleString('en-US')} keys in ${batches.length} requests of at most 1,000`;
    });

    await step('deleteBucket', async () => {
      await last(rx.deleteBucket(bucket));
      bucketExists = false;
      return bucket;
    });
  } catch (error) {
    failed = true;
    if (!(error instanceof StepFailed)) out.write(`\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  } finally {
    // Whatever happened: no multipart upload, no bucket, no temp file left behind.
    await rx.flushCleanups();
    if (bucketExists) await removeBucket(rx, bucket);
    await rm(dir, { recursive: true, force: true });
    rx.destroy();
    await stopServer();
  }

  const elapsed = formatDuration(performance.now() - started);
  const cleaned = 'no bucket and no temp file were left behind';
  if (interrupted) out.write(`\nInterrupted during ${failedStep ?? 'the set-up'} (${stepCount} steps passed); ${cleaned}.\n`);
  else if (failed) out.write(`\nFailed at ${failedStep ?? 'the set-up'} (${stepCount} steps passed, ${elapsed}); ${cleaned}.\n`);
  else out.write(`\nAll ${stepCount} steps passed in ${elapsed}.\n`);
  return interrupted ? 130 : failed ? 1 : 0;
}

/** Best-effort clean-up after a failed step: empty the bucket, delete it. */
async function removeBucket(rx: RxS3, bucket: string): Promise<void> {
  const keys = (await lastValueFrom(rx.listObjects(bucket).pipe(toArray()))).flatMap((page) => (page.ok ? page.val.objects.map((o) => o.key) : []));
  if (keys.length > 0) await lastValueFrom(rx.deleteObjects(bucket, keys).pipe(toArray()));
  await lastValueFrom(rx.deleteBucket(bucket));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
