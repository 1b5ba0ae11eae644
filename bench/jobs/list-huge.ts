/**
 * One listing job over a (synthetic) bucket, by `--mode`:
 *
 * - `rx-list`: rx-s3 `listObjects`, sequential, counting keys;
 * - `raw-list`: the SDK's `paginateListObjectsV2`, the same;
 * - `rx-walk`: rx-s3 `walkObjects` with `--concurrency` listings in flight, `--split prefixes|ranges`;
 * - `rx-each`: rx-s3 `forEachObject` with a `--task-ms` async task per key, `--concurrency` at once;
 * - `rx-mergemap`: the naive pipeline `listObjects(...).pipe(mergeMap(page => page.objects), mergeMap(task, concurrency))`
 *   (no demand: pages keep coming while the tasks queue up), for comparison.
 *
 * Besides the usual report line (ops = keys), it samples the RSS every 100 ms and reports the peak in `maxRSSKiB`
 * (VmHWM) and the keys held at worst (`maxInHandKeys`: listed but not yet done, for the task modes).
 *
 *   node --import tsx bench/jobs/list-huge.ts --endpoint URL --bucket B --mode rx-walk [--prefix P] [--concurrency N]
 *        [--split prefixes|ranges] [--task-ms N] [--expect N]
 */
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { lastValueFrom, map, mergeMap, reduce, timer } from 'rxjs';
import { runTimed, sdkClient, type JobReport, type OpsArgs } from '../lib/job';
import { Ok, RxS3, rxConfig } from '../lib/rx';

const { values: v } = parseArgs({
  options: {
    endpoint: { type: 'string' }, bucket: { type: 'string' }, prefix: { type: 'string', default: '' },
    region: { type: 'string', default: 'us-east-1' }, mode: { type: 'string' }, concurrency: { type: 'string', default: '8' },
    split: { type: 'string', default: 'prefixes' }, 'task-ms': { type: 'string', default: '1' }, expect: { type: 'string' },
    'heap-every': { type: 'string' },
  },
});
/**
 * `--heap-every N`: after every N keys listed, a full garbage collection and the live heap (MiB), reported as
 * `liveHeapMiB`: whether memory grows with the bucket (a leak) or only the peak RSS drifts (lazy collection).
 * It changes the peak RSS itself, so it is a separate run.
 */
const heapEvery = v['heap-every'] === undefined ? undefined : Number(v['heap-every']);
const liveHeapMiB: number[] = [];
let counted = 0;
const gc = heapEvery === undefined ? undefined : (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
/** Counts keys as pages arrive, sampling the live heap every `--heap-every` keys. */
const count = (n: number): number => {
  const before = counted;
  counted += n;
  if (gc !== undefined && heapEvery !== undefined && Math.floor(counted / heapEvery) > Math.floor(before / heapEvery)) {
    gc();
    liveHeapMiB.push(Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10);
  }
  return n;
};
const args: OpsArgs = {
  endpoint: v.endpoint ?? '', region: v.region ?? 'us-east-1', bucket: v.bucket ?? '', forcePathStyle: true,
  credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? 'sink', secretAccessKey: process.env.S3_SECRET_KEY ?? 'sink' },
  key: '', prefix: v.prefix ?? '', count: 0, concurrency: Number(v.concurrency), warmUp: 0, objectSize: 0,
};
const mode = v.mode ?? '';
const concurrency = Number(v.concurrency);
const taskMs = Number(v['task-ms']);
const prefix = args.prefix === '' ? undefined : args.prefix;
let listed = 0;
let done = 0;
let maxInHand = 0;
const note = (n: number): void => {
  listed += n;
  maxInHand = Math.max(maxInHand, listed - done);
};
/** The 1 ms (or --task-ms) asynchronous task per key. */
const task = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, taskMs));

const rx = new RxS3(rxConfig(args));
const client = sdkClient(args);
const fail = (what: string, e: { kind: string; message: string }): never => {
  throw new Error(`${what} failed: ${e.kind}: ${e.message}`);
};

const work: Record<string, () => Promise<number>> = {
  'raw-list': async () => {
    let keys = 0;
    for await (const page of paginateListObjectsV2({ client }, { Bucket: args.bucket, Prefix: prefix })) keys += count(page.Contents?.length ?? 0);
    return keys;
  },
  'rx-list': () =>
    lastValueFrom(rx.listObjects(args.bucket, { prefix }).pipe(reduce((n, page) => n + (page.ok ? count(page.val.objects.length) : fail('listObjects', page.val)), 0))),
  'rx-walk': () =>
    lastValueFrom(
      rx.walkObjects(args.bucket, { prefix, concurrency, split: v.split === 'ranges' ? 'ranges' : 'prefixes' })
        .pipe(reduce((n, page) => n + (page.ok ? count(page.val.objects.length) : fail('walkObjects', page.val)), 0)),
    ),
  'rx-each': async () => {
    const each$ = rx.forEachObject(args.bucket, async (o) => {
      await task();
      done += 1;
      return Ok(o.size);
    }, { prefix, concurrency });
    // forEachObject lists internally: count listed keys through the pages it requests.
    const spy = rx.client.send.bind(rx.client);
    rx.client.send = (async (command: Parameters<typeof spy>[0], options?: Parameters<typeof spy>[1]) => {
      const out = (await spy(command, options)) as { Contents?: unknown[] };
      note(out.Contents?.length ?? 0);
      return out;
    }) as typeof rx.client.send;
    return lastValueFrom(each$.pipe(reduce((n, r) => n + (r.ok ? 1 : fail('forEachObject', r.val)), 0)));
  },
  'rx-mergemap': () =>
    lastValueFrom(
      rx.listObjects(args.bucket, { prefix }).pipe(
        mergeMap((page) => (page.ok ? (note(page.val.objects.length), page.val.objects) : fail('listObjects', page.val))),
        mergeMap(() => timer(taskMs).pipe(map(() => (done += 1))), concurrency),
        reduce((n) => n + 1, 0),
      ),
    ),
};

const run = work[mode];
if (run === undefined) throw new Error(`--mode must be one of ${Object.keys(work).join(', ')}`);
let keys = 0;
runTimed(`list-huge ${mode}`, async () => {
  keys = await run();
  if (v.expect !== undefined && keys !== Number(v.expect)) throw new Error(`listed ${keys} keys, expected ${v.expect}`);
  return 0;
}, () => {
  rx.destroy();
  client.destroy();
}, () => ({ ops: keys, ...(mode === 'rx-each' || mode === 'rx-mergemap' ? { maxInHandKeys: maxInHand } : {}), ...(gc === undefined ? {} : { liveHeapMiB }) }) as Partial<JobReport>);
