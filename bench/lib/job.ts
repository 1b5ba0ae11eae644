/**
 * The job side of the harness: every `bench/jobs/*.ts` parses the same arguments, times its own work and
 * prints one JSON line ({@link JobReport}) on stdout.
 *
*   node .bench-build/jobs/<job>.js --endpoint URL --bucket B --key K --file PATH
 *        [--region R] [--path-style true|false] [--part-size BYTES] [--concurrency N]
 *        [--prefix P] [--count N] [--warm-up N] [--object-size BYTES] [--warm-transfers N]
 *
 * Transfer jobs take `--key` and `--file`; the request-count jobs (list, head, puts) take `--prefix` or `--key`,
 * `--count`, `--concurrency` and report `ops` (and per-request latencies for the sequential ones).
 *
 * Credentials come from S3_ACCESS_KEY / S3_SECRET_KEY (not argv, where `ps` shows them).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { percentile } from './measure';

export interface JobArgs {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
  readonly file: string;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly partSize: number | undefined;
  readonly concurrency: number | undefined;
  /** Untimed transfers, the same one, before the timed one (`--warm-transfers`, default 0). */
  readonly warmTransfers: number;
}

/** The arguments of the request-count jobs (list, head, small puts). */
export interface OpsArgs {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly forcePathStyle: boolean;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The key to HEAD, for head jobs. */
  readonly key: string;
  /** Where listed keys live / where small puts go. */
  readonly prefix: string;
  /** Requests to time (head, puts); for a listing, the keys expected. */
  readonly count: number;
  /** Requests in flight at once (puts). */
  readonly concurrency: number;
  /** Untimed requests before the timed ones (head). */
  readonly warmUp: number;
  /** Bytes per small object (puts). */
  readonly objectSize: number;
}

/** What a job prints: its own wall time and CPU for the measured section, and its peak RSS. */
export interface JobReport {
  readonly job: string;
  readonly bytes: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRSSKiB: number;
  /** Request-count jobs: keys listed, or requests made. */
  readonly ops?: number;
  /** Sequential request jobs: latency of each timed request, summarised. */
  readonly latencyMs?: { readonly p50: number; readonly p99: number; readonly mean: number };
}

function parseJobOptions() {
  return parseArgs({
    options: {
      endpoint: { type: 'string' }, region: { type: 'string', default: 'us-east-1' },
      bucket: { type: 'string' }, key: { type: 'string' }, file: { type: 'string' },
      'path-style': { type: 'string', default: 'true' },
      'part-size': { type: 'string' }, concurrency: { type: 'string' },
      prefix: { type: 'string' }, count: { type: 'string' }, 'warm-up': { type: 'string' }, 'object-size': { type: 'string' },
      'warm-transfers': { type: 'string' },
    },
  }).values;
}

const need = (name: string, value: string | undefined): string => {
  if (!value) throw new Error(`--${name} is required`);
  return value;
};

export function jobArgs(): JobArgs {
  const v = parseJobOptions();
  const optionalNumber = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));
  return {
    endpoint: need('endpoint', v.endpoint), region: v.region ?? 'us-east-1',
    bucket: need('bucket', v.bucket), key: need('key', v.key), file: need('file', v.file),
    forcePathStyle: v['path-style'] !== 'false',
    credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' },
    partSize: optionalNumber(v['part-size']), concurrency: optionalNumber(v.concurrency),
    warmTransfers: Number(v['warm-transfers'] ?? 0),
  };
}

export function opsArgs(): OpsArgs {
  const v = parseJobOptions();
  return {
    endpoint: need('endpoint', v.endpoint), region: v.region ?? 'us-east-1', bucket: need('bucket', v.bucket),
    forcePathStyle: v['path-style'] !== 'false',
    credentials: { accessKeyId: process.env.S3_ACCESS_KEY ?? '', secretAccessKey: process.env.S3_SECRET_KEY ?? '' },
    key: v.key ?? '', prefix: v.prefix ?? '', count: Number(v.count ?? 1000), concurrency: Number(v.concurrency ?? 32),
    warmUp: Number(v['warm-up'] ?? 20), objectSize: Number(v['object-size'] ?? 1024),
  };
}

/** The raw SDK client every raw job uses. */
export function sdkClient(a: JobArgs | OpsArgs): S3Client {
  return new S3Client({
    endpoint: a.endpoint, region: a.region, credentials: a.credentials, forcePathStyle: a.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * This process's peak RSS in KiB. On Linux it is `VmHWM` of /proc/self/status: getrusage's `ru_maxrss` (what
 * `process.resourceUsage().maxRSS` reads) carries over the RSS the parent had when it forked us, so a job spawned
 * by a 150 MiB harness would never report less than 150 MiB. Elsewhere, `maxRSS`.
 */
export function peakRSSKiB(): number {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/** What a request-count job's timed work resolves. */
export interface OpsResult {
  readonly ops: number;
  /** Per-request latencies in ms (sequential jobs only). */
  readonly latenciesMs?: readonly number[];
}

/**
 * Runs `warmUp` untimed, then times `work` like {@link runTimed} and prints the report line with `ops` (and the
 * latency summary when `work` measured each request). Any failure exits 1.
 */
export function runTimedOps(job: string, warmUp: () => Promise<void>, work: () => Promise<OpsResult>, cleanup: () => void = () => undefined): void {
  let result: OpsResult | undefined;
  warmUp()
    .then(() => runTimed(job, async () => {
      result = await work();
      return 0;
    }, cleanup, () => result === undefined ? {} : summarise(result)))
    .catch((err: unknown) => {
      console.error(`${job} failed:`, err);
      process.exitCode = 1;
      cleanup();
    });
}

/**
 * The sequential-latency job: `args.warmUp` untimed calls of `op`, then `args.count` timed one by one; prints the
 * report line with p50/p99.
 */
export function runSequentialOps(job: string, args: { readonly warmUp: number; readonly count: number }, op: () => Promise<void>, cleanup?: () => void): void {
  runTimedOps(job, async () => {
    for (let i = 0; i < args.warmUp; i++) await op();
  }, async () => {
    const latenciesMs: number[] = [];
    for (let i = 0; i < args.count; i++) {
      const t = performance.now();
      await op();
      latenciesMs.push(performance.now() - t);
    }
    return { ops: args.count, latenciesMs };
  }, cleanup);
}

function summarise(r: OpsResult): Partial<JobReport> {
  const l = r.latenciesMs;
  if (l === undefined || l.length === 0) return { ops: r.ops };
  return { ops: r.ops, latencyMs: { p50: percentile(l, 50), p99: percentile(l, 99), mean: l.reduce((a, b) => a + b, 0) / l.length } };
}

/**
 * A transfer job: `args.warmTransfers` untimed runs of `work` (a process that has already moved a file: its code
 * loaded and compiled, its connections open, its buffers allocated), then the timed one, as {@link runTimed}. A
 * download's warm-up file is deleted before the timed run, which then writes a new file as the first one did.
 */
export function runTransfer(job: string, args: JobArgs, direction: 'upload' | 'download', work: () => Promise<number>, cleanup: () => void = () => undefined): void {
  const warmUp = async (): Promise<void> => {
    for (let i = 0; i < args.warmTransfers; i++) {
      await work();
      if (direction === 'download') rmSync(args.file, { force: true });
    }
  };
  warmUp()
    .then(() => runTimed(job, work, cleanup))
    .catch((err: unknown) => {
      console.error(`${job} failed in its warm-up:`, err);
      process.exitCode = 1;
      cleanup();
    });
}

/** Times `work` (which resolves the bytes it moved), prints the report line; any failure exits 1. */
export function runTimed(job: string, work: () => Promise<number>, cleanup: () => void = () => undefined, extra: () => Partial<JobReport> = () => ({})): void {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  work()
    .then((bytes) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const report: JobReport = { job, bytes, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRSSKiB: peakRSSKiB(), ...extra() };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    })
    .catch((err: unknown) => {
      console.error(`${job} failed:`, err);
      process.exitCode = 1;
    })
    .finally(cleanup);
}
