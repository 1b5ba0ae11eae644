/**
 * The listing patterns of docs/guide.md, run end to end: `node --import tsx docs/examples/listing.ts`.
 *
 * It starts the embedded S3 server (fauxqs) in this process on 127.0.0.1, or uses `S3_ENDPOINT` (with
 * `S3_ACCESS_KEY`, `S3_SECRET_KEY`, `S3_REGION`, `S3_FORCE_PATH_STYLE`), puts 5,000 keys in a fresh bucket, and
 * lists them sequentially, demand-driven, resumed after a "crash", in parallel, and in 4 shards taken by 4
 * separate `rx-s3 ls --shard i/4` processes; each pattern must yield every key exactly once. Exits 0 when all do.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { from, lastValueFrom, mergeMap, reduce, take, toArray } from 'rxjs';
import { compareKeys, cutKeyRanges, filterResultOk, Ok, RxS3, type Result, type S3Error } from '../../lib';
import { rxOptions, server, startServer, stopServer } from '../../spec/support/server';

const KEYS = Array.from({ length: 5000 }, (_, i) => `logs/${String(i % 50).padStart(2, '0')}/${String(i).padStart(5, '0')}.json`).sort(compareKeys);

function unwrap<T>(result: Result<T, S3Error>): T {
  if (result.err) throw new Error(`${result.val.kind}: ${result.val.message}`);
  return result.val;
}

/** Every key once, nothing else: what each pattern must give. */
function check(pattern: string, keys: readonly string[]): void {
  const sorted = [...keys].sort(compareKeys);
  const exact = sorted.length === KEYS.length && sorted.every((k, i) => k === KEYS[i]);
  console.log(`${exact ? '✔' : '✘'} ${pattern.padEnd(40)} ${keys.length} keys${exact ? ', each once' : ' (expected each of 5000 once)'}`);
  if (!exact) process.exitCode = 1;
}

async function main(): Promise<void> {
  await startServer();
  const rx = new RxS3(rxOptions());
  const bucket = `rxs3-listing-${randomBytes(3).toString('hex')}`;
  unwrap(await lastValueFrom(rx.createBucket(bucket)));
  try {
    await lastValueFrom(from(KEYS).pipe(mergeMap((key) => rx.putObject(bucket, key, '{}'), 32), toArray()));

    // 1. Sequential: one page at a time, the next requested after this one was delivered.
    const sequential = await lastValueFrom(rx.listObjects(bucket, { prefix: 'logs/' }).pipe(
      filterResultOk(), mergeMap((page) => page.objects.map((o) => o.key)), toArray()));
    check('sequential listObjects', sequential);

    // 2. Demand-driven: a slow task per key, 16 at once; the next page only when fewer than 1,000 keys are in hand.
    let running = 0;
    let most = 0;
    const done = await lastValueFrom(rx.forEachObject(bucket, async (object) => {
      most = Math.max(most, (running += 1));
      await new Promise((resolve) => setTimeout(resolve, 1)); // the work: e.g. copy, tag, index
      running -= 1;
      return Ok(object.key);
    }, { prefix: 'logs/', concurrency: 16 }).pipe(filterResultOk(), toArray()));
    check(`forEachObject (at most ${most} at once)`, done);

    // 3. Resumed: take two pages, "crash", keep the token; a new listing continues right after it.
    const firstTwo = await lastValueFrom(rx.listObjects(bucket, { prefix: 'logs/' }).pipe(filterResultOk(), take(2), toArray()));
    const saved = firstTwo[1]!.resumeToken; // store it anywhere: it is a plain string that does not expire
    const rest = await lastValueFrom(rx.listObjects(bucket, { prefix: 'logs/', resume: saved }).pipe(
      filterResultOk(), mergeMap((page) => page.objects.map((o) => o.key)), toArray()));
    check('2 pages, then resumed', [...firstTwo.flatMap((p) => p.objects.map((o) => o.key)), ...rest]);

    // 4. Parallel: one listing per "directory", 8 in flight; and 8 key ranges cut from a sample, in key order.
    const byPrefix = await lastValueFrom(rx.walkObjects(bucket, { prefix: 'logs/', concurrency: 8 }).pipe(
      filterResultOk(), mergeMap((page) => page.objects.map((o) => o.key)), toArray()));
    check('walkObjects by prefix', byPrefix);
    const ordered = await lastValueFrom(rx.walkObjects(bucket, { prefix: 'logs/', split: 'ranges', ranges: 8, ordered: true }).pipe(
      filterResultOk(), mergeMap((page) => page.objects.map((o) => o.key)), toArray()));
    check(`walkObjects by range, ${ordered.every((k, i) => k === KEYS[i]) ? 'in key order' : 'OUT OF ORDER'}`, ordered);

    // 5. Sharded in one process: cut 4 ranges from a sample, list each (as 4 workers would).
    const sample = unwrap(await lastValueFrom(rx.sampleKeySpace(bucket, { prefix: 'logs/' })));
    const shards = await Promise.all(cutKeyRanges(sample.points, 4).map((range) => lastValueFrom(
      rx.listObjects(bucket, { prefix: 'logs/', ...range }).pipe(filterResultOk(), reduce((keys: string[], page) => [...keys, ...page.objects.map((o) => o.key)], [])))));
    check(`4 ranges (${shards.map((s) => s.length).join(' + ')})`, shards.flat());

    // 6. Sharded across processes: 4 `rx-s3 ls --recursive --shard i/4` running at once.
    const s = server();
    const env = { ...process.env, AWS_ENDPOINT_URL: s.endpoint, AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey, AWS_REGION: s.region };
    const cli = join(__dirname, '..', '..', 'lib', 'cli', 'main.ts');
    const outputs = await Promise.all([0, 1, 2, 3].map((i) => promisify(execFile)(process.execPath,
      ['--import', 'tsx', cli, 'ls', '--recursive', '--shard', `${i}/4`, `s3://${bucket}/logs/`], { env, maxBuffer: 1 << 24 })));
    const processKeys = outputs.map((o) => o.stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/).pop()!));
    check(`4 processes (${processKeys.map((k) => k.length).join(' + ')})`, processKeys.flat());
  } finally {
    await lastValueFrom(rx.forEachObject(bucket, (o) => rx.deleteObject(bucket, o.key), { concurrency: 32 }));
    await lastValueFrom(rx.deleteBucket(bucket));
    rx.destroy();
    await stopServer();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
